{#
    The distribution functions, callable the same way on every engine:
    `{{ stat_normal_sf('z') }}`, `{{ stat_normal_quantile('p') }}`, `{{ stat_t_two_sided_p('t', 'df') }}`,
    `{{ stat_t_quantile('p', 'df') }}`, `{{ stat_chi_square_sf('x', 'df') }}`.

    PostgreSQL (default__): a call of the SQL function created by statistics_functions_ddl()
    (create_statistics_functions.sql, PL/pgSQL), in the target schema.
    Spark (spark__): the same algorithm, step for step, as one SQL expression: loops are
    `aggregate` over a `sequence` (the continued fractions, Newton steps and series; an
    iteration that has converged carries its state unchanged), a local variable is written out
    where it is used or bound as a lambda parameter (see _spark_inlinable), and a domain error is
    `raise_error` with the same message. No stored function: nothing to create on the cluster.
    Every literal is a double (`D`), so no step is done in decimal arithmetic. The results equal
    PostgreSQL's to ~1e-15 relative (exp/ln of the JVM vs the C library); tests/python/spark
    checks them on a grid against the PostgreSQL functions.
#}

{% macro stat_normal_sf(z) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('stat_normal_sf', 'experiment_analytics')(z)) }}
    {%- else -%}
        {{ return(default__stat_normal_sf(z)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__stat_normal_sf(z) -%}
    {{ statistics_schema() }}.stat_normal_sf({{ z }})
{%- endmacro %}

{#-
    Spark: how deep an expression is, not how long, is what Spark's analyzer pays for (one pass of
    its Resolution batch per level of lambda that waits for another; `spark.sql.analyzer.maxIterations`,
    default 100, is per statement). So a local value that is a small plain expression (no lambda in
    it) is written out where it is used (`{% set %}` below, the same arithmetic in the same order),
    and a lambda binding `element_at(transform(array(value), name -> ...), 1)` is kept only where a
    value is large or holds a loop. An argument is bound once the same way when it is not small and
    plain (_spark_double); inside, the functions call each other's `_of` macros on doubles.
    Iterations each function needs alone (select over a 1-row table, Spark 4, 2026-12-02; before
    the flattening -> now): normal tail 7 -> 5, normal quantile 13 -> 6, ln gamma 7 -> 5,
    incomplete beta 26 -> 9, Welch t p-value 28 -> 9, t quantile 53 -> 18, chi-square 12 -> 11.
    The results are bit for bit those of the nested version on the test grid. Whole queries
    (default limit 100): variant_significance and the card Statistical Significance need 71-80,
    the card Power and Time to Decision 81-90 (README "Running on Apache Spark").
-#}
{% macro _spark_inlinable(expression) -%}
    {%- set text = expression | string -%}
    {{- 'inline' if (text | length) <= 24 and 'transform(' not in text
        and 'aggregate(' not in text and 'raise_error(' not in text else '' -}}
{%- endmacro %}

{#- The argument as a double: written out where it is small and plain, else None (bind it). -#}
{% macro _spark_double(expression) -%}
    {{- '(cast(' ~ expression ~ ' as double))' if _spark_inlinable(expression) else '' -}}
{%- endmacro %}

{% macro spark__stat_normal_sf(z) -%}
    {%- set z_ = _spark_double(z) -%}
    {%- if z_ -%}
        {{ _spark_normal_sf_of(z_) }}
    {%- else -%}
        element_at(transform(array(cast({{ z }} as double)), nsf_z -> {{ _spark_normal_sf_of('nsf_z') }}), 1)
    {%- endif -%}
{%- endmacro %}

{#- The upper tail Q(a) of a >= 0. -#}
{% macro _spark_normal_tail(a) -%}
case
        when {{ a }} > 37.0D then 0.0D
        when {{ a }} < 7.07106781186547D then exp(-{{ a }} * {{ a }} / 2.0D)
            * ((((((3.52624965998911e-02D * {{ a }} + 0.700383064443688D) * {{ a }} + 6.37396220353165D)
                * {{ a }} + 33.912866078383D) * {{ a }} + 112.079291497871D) * {{ a }} + 221.213596169931D)
                * {{ a }} + 220.206867912376D)
            / (((((((8.83883476483184e-02D * {{ a }} + 1.75566716318264D) * {{ a }} + 16.064177579207D)
                * {{ a }} + 86.7807322029461D) * {{ a }} + 296.564248779674D) * {{ a }} + 637.333633378831D)
                * {{ a }} + 793.826512519948D) * {{ a }} + 440.413735824752D)
        else exp(-{{ a }} * {{ a }} / 2.0D)
            / aggregate(sequence(20, 1, -1), {{ a }}, (nsf_den, nsf_k) -> {{ a }} + nsf_k / nsf_den)
            / sqrt(2.0D * pi())
    end
{%- endmacro %}

{% macro _spark_normal_sf_of(z) -%}
    {%- set a = 'abs(' ~ z ~ ')' -%}
case
    when isnan({{ z }}) then {{ z }}
    else abs(case when {{ z }} > 0.0D then 0.0D else 1.0D end - {{ _spark_normal_tail(a) }})
end
{%- endmacro %}

{% macro stat_ln_1_plus(x) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('stat_ln_1_plus', 'experiment_analytics')(x)) }}
    {%- else -%}
        {{ return(default__stat_ln_1_plus(x)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__stat_ln_1_plus(x) -%}
    {{ statistics_schema() }}.stat_ln_1_plus({{ x }})
{%- endmacro %}

{% macro spark__stat_ln_1_plus(x) -%}
    {%- set x_ = _spark_double(x) -%}
    {%- if x_ -%}
        {{ _spark_ln_1_plus_of(x_) }}
    {%- else -%}
        element_at(transform(array(cast({{ x }} as double)), l1p_x -> {{ _spark_ln_1_plus_of('l1p_x') }}), 1)
    {%- endif -%}
{%- endmacro %}

{% macro _spark_ln_1_plus_of(x) -%}
case
    when 1.0D + {{ x }} = 1.0D then {{ x }}
    else ln(1.0D + {{ x }}) * {{ x }} / ((1.0D + {{ x }}) - 1.0D)
end
{%- endmacro %}

{% macro stat_normal_quantile(p) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('stat_normal_quantile', 'experiment_analytics')(p)) }}
    {%- else -%}
        {{ return(default__stat_normal_quantile(p)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__stat_normal_quantile(p) -%}
    {{ statistics_schema() }}.stat_normal_quantile({{ p }})
{%- endmacro %}

{% macro spark__stat_normal_quantile(p) -%}
    {%- set p_ = _spark_double(p) -%}
    {%- if p_ -%}
        {{ _spark_normal_quantile_of(p_) }}
    {%- else -%}
        element_at(transform(array(cast({{ p }} as double)), nq_p -> {{ _spark_normal_quantile_of('nq_p') }}), 1)
    {%- endif -%}
{%- endmacro %}

{#- Acklam's approximation, then one Halley step (nq_x: the approximation; u: the step's ratio). -#}
{% macro _spark_normal_quantile_of(p) -%}
    {%- set q_low = '(sqrt(-2.0D * ln(' ~ p ~ ')))' -%}
    {%- set q_mid = '(' ~ p ~ ' - 0.5D)' -%}
    {%- set r_mid = '(' ~ q_mid ~ ' * ' ~ q_mid ~ ')' -%}
    {%- set q_high = '(sqrt(-2.0D * ln(1.0D - ' ~ p ~ ')))' -%}
    {%- set u = '((' ~ _spark_normal_sf_of('(-nq_x)') ~ ' - ' ~ p ~ ') * sqrt(2.0D * pi()) * exp(nq_x * nq_x / 2.0D))' -%}
case
    when not ({{ p }} >= 0.0D and {{ p }} <= 1.0D) then
        raise_error(concat('stat_normal_quantile: p must be in [0, 1], got ', cast({{ p }} as string)))
    when {{ p }} = 0.0D then cast('-infinity' as double)
    when {{ p }} = 1.0D then cast('infinity' as double)
    else element_at(transform(array(case
        when {{ p }} < 0.02425D then
            (((((-7.784894002430293e-03D * {{ q_low }} - 3.223964580411365e-01D) * {{ q_low }} - 2.400758277161838e+00D) * {{ q_low }}
                - 2.549732539343734e+00D) * {{ q_low }} + 4.374664141464968e+00D) * {{ q_low }} + 2.938163982698783e+00D)
            / ((((7.784695709041462e-03D * {{ q_low }} + 3.224671290700398e-01D) * {{ q_low }} + 2.445134137142996e+00D) * {{ q_low }}
                + 3.754408661907416e+00D) * {{ q_low }} + 1.0D)
        when {{ p }} <= 1.0D - 0.02425D then
            (((((-3.969683028665376e+01D * {{ r_mid }} + 2.209460984245205e+02D) * {{ r_mid }} - 2.759285104469687e+02D) * {{ r_mid }}
                + 1.383577518672690e+02D) * {{ r_mid }} - 3.066479806614716e+01D) * {{ r_mid }} + 2.506628277459239e+00D) * {{ q_mid }}
            / (((((-5.447609879822406e+01D * {{ r_mid }} + 1.615858368580409e+02D) * {{ r_mid }} - 1.556989798598866e+02D) * {{ r_mid }}
                + 6.680131188771972e+01D) * {{ r_mid }} - 1.328068155288572e+01D) * {{ r_mid }} + 1.0D)
        else
            -(((((-7.784894002430293e-03D * {{ q_high }} - 3.223964580411365e-01D) * {{ q_high }} - 2.400758277161838e+00D) * {{ q_high }}
                - 2.549732539343734e+00D) * {{ q_high }} + 4.374664141464968e+00D) * {{ q_high }} + 2.938163982698783e+00D)
            / ((((7.784695709041462e-03D * {{ q_high }} + 3.224671290700398e-01D) * {{ q_high }} + 2.445134137142996e+00D) * {{ q_high }}
                + 3.754408661907416e+00D) * {{ q_high }} + 1.0D)
    end), nq_x -> nq_x - {{ u }} / (1.0D + nq_x * {{ u }} / 2.0D)), 1)
end
{%- endmacro %}

{% macro stat_ln_gamma(x) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('stat_ln_gamma', 'experiment_analytics')(x)) }}
    {%- else -%}
        {{ return(default__stat_ln_gamma(x)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__stat_ln_gamma(x) -%}
    {{ statistics_schema() }}.stat_ln_gamma({{ x }})
{%- endmacro %}

{#- Lanczos (g = 7) for x >= 0.5; below, the reflection x -> 1 - x, as the PL/pgSQL does (y = x - 1). -#}
{% macro _spark_lanczos_ln_gamma(x) -%}
    {%- set y = '((' ~ x ~ ') - 1.0D)' -%}
0.5D * ln(2.0D * pi()) + ({{ y }} + 0.5D) * ln({{ y }} + 7.5D) - ({{ y }} + 7.5D)
    + ln(0.99999999999980993D + 676.5203681218851D / ({{ y }} + 1) + -1259.1392167224028D / ({{ y }} + 2)
        + 771.32342877765313D / ({{ y }} + 3) + -176.61502916214059D / ({{ y }} + 4)
        + 12.507343278686905D / ({{ y }} + 5) + -0.13857109526572012D / ({{ y }} + 6)
        + 9.9843695780195716e-6D / ({{ y }} + 7) + 1.5056327351493116e-7D / ({{ y }} + 8))
{%- endmacro %}

{% macro spark__stat_ln_gamma(x) -%}
    {%- set x_ = _spark_double(x) -%}
    {%- if x_ -%}
        {{ _spark_ln_gamma_of(x_) }}
    {%- else -%}
        element_at(transform(array(cast({{ x }} as double)), lg_x -> {{ _spark_ln_gamma_of('lg_x') }}), 1)
    {%- endif -%}
{%- endmacro %}

{% macro _spark_ln_gamma_of(x) -%}
(case
    when not ({{ x }} > 0.0D) then
        raise_error(concat('stat_ln_gamma: x must be > 0, got ', cast({{ x }} as string)))
    when {{ x }} < 0.5D then ln(pi() / sin(pi() * {{ x }})) - ({{ _spark_lanczos_ln_gamma('1.0D - ' ~ x) }})
    else {{ _spark_lanczos_ln_gamma(x) }}
end)
{%- endmacro %}

{% macro stat_incomplete_beta(x, a, b) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('stat_incomplete_beta', 'experiment_analytics')(x, a, b)) }}
    {%- else -%}
        {{ return(default__stat_incomplete_beta(x, a, b)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__stat_incomplete_beta(x, a, b) -%}
    {{ statistics_schema() }}.stat_incomplete_beta({{ x }}, {{ a }}, {{ b }})
{%- endmacro %}

{#- |v| < tiny -> tiny, as the Lentz method guards its denominators. -#}
{% macro _spark_lentz_guard(v) -%}
case when abs({{ v }}) < 1e-300D then 1e-300D else {{ v }} end
{%- endmacro %}

{% macro spark__stat_incomplete_beta(x, a, b) -%}
    {%- set x_ = _spark_double(x) -%}
    {%- set a_ = _spark_double(a) -%}
    {%- set b_ = _spark_double(b) -%}
    {%- if x_ and a_ and b_ -%}
        {{ _spark_incomplete_beta_of(x_, a_, b_) }}
    {%- else -%}
        element_at(transform(array(named_struct('x', cast({{ x }} as double), 'a', cast({{ a }} as double), 'b', cast({{ b }} as double))),
            ib -> {{ _spark_incomplete_beta_of('ib.x', 'ib.a', 'ib.b') }}), 1)
    {%- endif -%}
{%- endmacro %}

{#-
    The continued fraction by the modified Lentz method: ibs the (possibly swapped) arguments,
    ibv the log of the front factor and d0, one `aggregate` step two terms (n1: the even term,
    s1 its d and c; n2: the odd term); the front factor, the division by aa and the swap back are
    the aggregate's finish.
-#}
{% macro _spark_incomplete_beta_of(x, a, b) -%}
    {%- set n1 = '(ib_m * (ibs.bb - ib_m) * ibs.xx / ((ibs.aa - 1.0D + 2 * ib_m) * (ibs.aa + 2 * ib_m)))' -%}
    {%- set n2 = '(-(ibs.aa + ib_m) * (ibs.aa + ibs.bb + ib_m) * ibs.xx / ((ibs.aa + 2 * ib_m) * (ibs.aa + 1.0D + 2 * ib_m)))' -%}
    {%- set s2_d = '(1.0D / ' ~ _spark_lentz_guard('(1.0D + ' ~ n2 ~ ' * ib_s1.d)') ~ ')' -%}
    {%- set s2_c = '(' ~ _spark_lentz_guard('(1.0D + ' ~ n2 ~ ' / ib_s1.c)') ~ ')' -%}
    {%- set value = '(case when ibv.front_log < -745.0D then 0.0D else exp(ibv.front_log) end * ib_st.h / ibs.aa)' -%}
case
    when not ({{ a }} > 0.0D and {{ b }} > 0.0D) then raise_error(concat(
        'stat_incomplete_beta: a and b must be > 0, got a = ', cast({{ a }} as string), ', b = ', cast({{ b }} as string)))
    when not ({{ x }} >= 0.0D and {{ x }} <= 1.0D) then
        raise_error(concat('stat_incomplete_beta: x must be in [0, 1], got ', cast({{ x }} as string)))
    when {{ x }} = 0.0D or {{ x }} = 1.0D then {{ x }}
    else element_at(transform(array(case
        when {{ x }} >= ({{ a }} + 1.0D) / ({{ a }} + {{ b }} + 2.0D)
            then named_struct('swap', true, 'aa', {{ b }}, 'bb', {{ a }}, 'xx', 1.0D - {{ x }})
        else named_struct('swap', false, 'aa', {{ a }}, 'bb', {{ b }}, 'xx', {{ x }})
    end), ibs -> element_at(transform(array(named_struct(
        'front_log', {{ _spark_ln_gamma_of('(ibs.aa + ibs.bb)') }} - {{ _spark_ln_gamma_of('ibs.aa') }}
            - {{ _spark_ln_gamma_of('ibs.bb') }} + ibs.aa * ln(ibs.xx) + ibs.bb * ln(1.0D - ibs.xx),
        'd0', 1.0D / {{ _spark_lentz_guard('(1.0D - (ibs.aa + ibs.bb) * ibs.xx / (ibs.aa + 1.0D))') }}
    )), ibv -> aggregate(
        sequence(1, 10000),
        named_struct('c', 1.0D, 'd', ibv.d0, 'h', ibv.d0, 'done', false),
        (ib_st, ib_m) -> case when ib_st.done then ib_st else element_at(transform(array(named_struct(
            'd', 1.0D / {{ _spark_lentz_guard('(1.0D + ' ~ n1 ~ ' * ib_st.d)') }},
            'c', {{ _spark_lentz_guard('(1.0D + ' ~ n1 ~ ' / ib_st.c)') }}
        )), ib_s1 -> named_struct(
            'c', {{ s2_c }},
            'd', {{ s2_d }},
            'h', ib_st.h * ib_s1.d * ib_s1.c * ({{ s2_d }} * {{ s2_c }}),
            'done', abs({{ s2_d }} * {{ s2_c }} - 1.0D) < 1e-16D
        )), 1) end,
        ib_st -> case when ibs.swap then 1.0D - {{ value }} else {{ value }} end
    )), 1)), 1)
end
{%- endmacro %}

{% macro stat_t_two_sided_p(t, df) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('stat_t_two_sided_p', 'experiment_analytics')(t, df)) }}
    {%- else -%}
        {{ return(default__stat_t_two_sided_p(t, df)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__stat_t_two_sided_p(t, df) -%}
    {{ statistics_schema() }}.stat_t_two_sided_p({{ t }}, {{ df }})
{%- endmacro %}

{% macro spark__stat_t_two_sided_p(t, df) -%}
    {%- set t_ = _spark_double(t) -%}
    {%- set df_ = _spark_double(df) -%}
    {%- if t_ and df_ -%}
        {{ _spark_t_two_sided_p_of(t_, df_) }}
    {%- else -%}
        element_at(transform(array(named_struct('t', cast({{ t }} as double), 'df', cast({{ df }} as double))),
            tp -> {{ _spark_t_two_sided_p_of('tp.t', 'tp.df') }}), 1)
    {%- endif -%}
{%- endmacro %}

{#- df >= 100: Hill's normal approximation (tp_a, tp_b written out; tp_y0 bound, then tp_y). -#}
{% macro _spark_t_two_sided_p_of(t, df) -%}
    {%- set tp_a = '(' ~ df ~ ' - 0.5D)' -%}
    {%- set tp_b = '(48.0D * ' ~ tp_a ~ ' * ' ~ tp_a ~ ')' -%}
case
    when not ({{ df }} > 0.0D) then
        raise_error(concat('stat_t_two_sided_p: df must be > 0, got ', cast({{ df }} as string)))
    when isnan({{ t }}) then {{ t }}
    when abs({{ t }}) = cast('infinity' as double) then 0.0D
    when {{ df }} >= 100.0D then element_at(transform(
        array({{ tp_a }} * {{ _spark_ln_1_plus_of('(' ~ t ~ ' * ' ~ t ~ ' / ' ~ df ~ ')') }}), tp_y0 -> element_at(transform(array(
            (((((-0.4D * tp_y0 - 3.3D) * tp_y0 - 24.0D) * tp_y0 - 85.5D) / (0.8D * tp_y0 * tp_y0 + 100.0D + {{ tp_b }})
                + tp_y0 + 3.0D) / {{ tp_b }} + 1.0D) * sqrt(tp_y0)
        ), tp_y -> 2.0D * {{ _spark_normal_sf_of('tp_y') }}), 1)), 1)
    when {{ t }} * {{ t }} < {{ df }} then 1.0D - {{ _spark_incomplete_beta_of(
        '(' ~ t ~ ' * ' ~ t ~ ' / (' ~ df ~ ' + ' ~ t ~ ' * ' ~ t ~ '))', '0.5D', '(' ~ df ~ ' / 2.0D)') }}
    else {{ _spark_incomplete_beta_of(
        '(' ~ df ~ ' / (' ~ df ~ ' + ' ~ t ~ ' * ' ~ t ~ '))', '(' ~ df ~ ' / 2.0D)', '0.5D') }}
end
{%- endmacro %}

{% macro stat_t_quantile(p, df) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('stat_t_quantile', 'experiment_analytics')(p, df)) }}
    {%- else -%}
        {{ return(default__stat_t_quantile(p, df)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__stat_t_quantile(p, df) -%}
    {{ statistics_schema() }}.stat_t_quantile({{ p }}, {{ df }})
{%- endmacro %}

{% macro spark__stat_t_quantile(p, df) -%}
    {%- set p_ = _spark_double(p) -%}
    {%- set df_ = _spark_double(df) -%}
    {%- if p_ and df_ -%}
        {{ _spark_t_quantile_of(p_, df_) }}
    {%- else -%}
        element_at(transform(array(named_struct('p', cast({{ p }} as double), 'df', cast({{ df }} as double))),
            tq -> {{ _spark_t_quantile_of('tq.p', 'tq.df') }}), 1)
    {%- endif -%}
{%- endmacro %}

{#-
    tq_x: the normal quantile of the upper probability; t0: the Cornish-Fisher start; below df 1000
    Newton steps on the t CDF (log_norm, the log of the density's constant, carried in the state).
-#}
{% macro _spark_t_quantile_of(p, df) -%}
    {%- set upper = '(greatest(' ~ p ~ ', 1.0D - ' ~ p ~ '))' -%}
    {%- set x2 = '(tq_x * tq_x)' -%}
    {%- set t0 -%}
(tq_x + (({{ x2 }} + 1.0D) * tq_x / 4.0D
            + (((5.0D * {{ x2 }} + 16.0D) * {{ x2 }} + 3.0D) * tq_x / 96.0D
            + ((((3.0D * {{ x2 }} + 19.0D) * {{ x2 }} + 17.0D) * {{ x2 }} - 15.0D) * tq_x / 384.0D
            + ((((79.0D * {{ x2 }} + 776.0D) * {{ x2 }} + 1482.0D) * {{ x2 }} - 1920.0D) * {{ x2 }} - 945.0D) * tq_x / 92160.0D / {{ df }})
                / {{ df }}) / {{ df }}) / {{ df }})
    {%- endset -%}
case
    when not ({{ df }} > 0.0D) then
        raise_error(concat('stat_t_quantile: df must be > 0, got ', cast({{ df }} as string)))
    when not ({{ p }} > 0.0D and {{ p }} < 1.0D) then
        raise_error(concat('stat_t_quantile: p must be in (0, 1), got ', cast({{ p }} as string)))
    when {{ p }} = 0.5D then 0.0D
    else element_at(transform(array({{ _spark_normal_quantile_of(upper) }}), tq_x -> case
        when {{ df }} < 1000.0D then aggregate(
            sequence(1, 50),
            named_struct(
                't', {{ t0 }},
                'done', false,
                'log_norm', {{ _spark_ln_gamma_of('((' ~ df ~ ' + 1.0D) / 2.0D)') }} - {{ _spark_ln_gamma_of('(' ~ df ~ ' / 2.0D)') }}
                    - 0.5D * ln({{ df }} * pi())
            ),
            (tq_st, tq_i) -> case when tq_st.done then tq_st else element_at(transform(array(
                ((1.0D - {{ _spark_t_two_sided_p_of('tq_st.t', df) }} / 2.0D) - {{ upper }})
                / exp(tq_st.log_norm - ({{ df }} + 1.0D) / 2.0D * {{ _spark_ln_1_plus_of('(tq_st.t * tq_st.t / ' ~ df ~ ')') }})
            ), tq_step -> named_struct(
                't', tq_st.t - tq_step,
                'done', abs(tq_step) <= 1e-15D * abs(tq_st.t - tq_step),
                'log_norm', tq_st.log_norm
            )), 1) end,
            tq_st -> case when {{ p }} < 0.5D then -tq_st.t else tq_st.t end
        )
        else case when {{ p }} < 0.5D then -{{ t0 }} else {{ t0 }} end
    end), 1)
end
{%- endmacro %}

{% macro stat_chi_square_sf(x, df) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('stat_chi_square_sf', 'experiment_analytics')(x, df)) }}
    {%- else -%}
        {{ return(default__stat_chi_square_sf(x, df)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__stat_chi_square_sf(x, df) -%}
    {{ statistics_schema() }}.stat_chi_square_sf({{ x }}, {{ df }})
{%- endmacro %}

{% macro spark__stat_chi_square_sf(x, df) -%}
transform(array(named_struct('x', cast({{ x }} as double), 'df', cast({{ df }} as int))), cs -> case
    when cs.df < 1 then raise_error(concat('stat_chi_square_sf: df must be >= 1, got ', cast(cs.df as string)))
    when isnan(cs.x) then cs.x
    when cs.x <= 0.0D then 1.0D
    when cs.x = cast('infinity' as double) then 0.0D
    when cs.df % 2 = 0 then least(1.0D, aggregate(
        filter(sequence(0, greatest(cs.df div 2 - 1, 0)), cs_i -> cs_i < cs.df div 2),
        named_struct('log_term', -cs.x / 2.0D, 'total', 0.0D),
        (cs_st, cs_i) -> transform(array(case
            when cs_i > 0 then cs_st.log_term + ln(cs.x / 2.0D) - ln(cast(cs_i as double))
            else cs_st.log_term
        end), cs_log -> named_struct(
            'log_term', cs_log,
            'total', case when cs_log > -745.0D then cs_st.total + exp(cs_log) else cs_st.total end
        ))[0]
    ).total)
    else least(1.0D, aggregate(
        filter(sequence(0, greatest((cs.df - 1) div 2 - 1, 0)), cs_i -> cs_i < (cs.df - 1) div 2),
        named_struct(
            'log_term', -cs.x / 2.0D + 0.5D * ln(cs.x / 2.0D) - ln(sqrt(pi()) / 2.0D),
            'total', 2.0D * {{ spark__stat_normal_sf('sqrt(cs.x)') }}
        ),
        (cs_st, cs_i) -> transform(array(case
            when cs_i > 0 then cs_st.log_term + ln(cs.x / 2.0D) - ln(cs_i + 0.5D)
            else cs_st.log_term
        end), cs_log -> named_struct(
            'log_term', cs_log,
            'total', case when cs_log > -745.0D then cs_st.total + exp(cs_log) else cs_st.total end
        ))[0]
    ).total)
end)[0]
{%- endmacro %}
