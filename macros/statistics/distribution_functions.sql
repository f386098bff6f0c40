{#
    The distribution functions, callable the same way on every engine:
    `{{ stat_normal_sf('z') }}`, `{{ stat_normal_quantile('p') }}`, `{{ stat_t_two_sided_p('t', 'df') }}`,
    `{{ stat_t_quantile('p', 'df') }}`, `{{ stat_chi_square_sf('x', 'df') }}`.

    PostgreSQL (default__): a call of the SQL function created by statistics_functions_ddl()
    (create_statistics_functions.sql, PL/pgSQL), in the target schema.
    Spark (spark__): the same algorithm, step for step, as one SQL expression: loops are
    `aggregate` over a `sequence` (the continued fractions, Newton steps and series; an
    iteration that has converged carries its state unchanged), local variables are lambda
    parameters bound by `transform(array(value), name -> ...)[0]`, and a domain error is
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

{% macro spark__stat_normal_sf(z) -%}
transform(array(cast({{ z }} as double)), nsf_z -> case
    when isnan(nsf_z) then nsf_z
    else transform(array(abs(nsf_z)), nsf_a -> transform(array(case
        when nsf_a > 37.0D then 0.0D
        when nsf_a < 7.07106781186547D then exp(-nsf_a * nsf_a / 2.0D)
            * ((((((3.52624965998911e-02D * nsf_a + 0.700383064443688D) * nsf_a + 6.37396220353165D)
                * nsf_a + 33.912866078383D) * nsf_a + 112.079291497871D) * nsf_a + 221.213596169931D)
                * nsf_a + 220.206867912376D)
            / (((((((8.83883476483184e-02D * nsf_a + 1.75566716318264D) * nsf_a + 16.064177579207D)
                * nsf_a + 86.7807322029461D) * nsf_a + 296.564248779674D) * nsf_a + 637.333633378831D)
                * nsf_a + 793.826512519948D) * nsf_a + 440.413735824752D)
        else exp(-nsf_a * nsf_a / 2.0D)
            / aggregate(sequence(20, 1, -1), nsf_a, (nsf_den, nsf_k) -> nsf_a + nsf_k / nsf_den)
            / sqrt(2.0D * pi())
    end), nsf_lower -> case when nsf_z > 0.0D then nsf_lower else 1.0D - nsf_lower end)[0])[0]
end)[0]
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
transform(array(cast({{ x }} as double)), l1p_x -> case
    when 1.0D + l1p_x = 1.0D then l1p_x
    else ln(1.0D + l1p_x) * l1p_x / ((1.0D + l1p_x) - 1.0D)
end)[0]
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
transform(array(cast({{ p }} as double)), nq_p -> case
    when not (nq_p >= 0.0D and nq_p <= 1.0D) then
        raise_error(concat('stat_normal_quantile: p must be in [0, 1], got ', cast(nq_p as string)))
    when nq_p = 0.0D then cast('-infinity' as double)
    when nq_p = 1.0D then cast('infinity' as double)
    else transform(array(case
        when nq_p < 0.02425D then transform(array(sqrt(-2.0D * ln(nq_p))), nq_q ->
            (((((-7.784894002430293e-03D * nq_q - 3.223964580411365e-01D) * nq_q - 2.400758277161838e+00D) * nq_q
                - 2.549732539343734e+00D) * nq_q + 4.374664141464968e+00D) * nq_q + 2.938163982698783e+00D)
            / ((((7.784695709041462e-03D * nq_q + 3.224671290700398e-01D) * nq_q + 2.445134137142996e+00D) * nq_q
                + 3.754408661907416e+00D) * nq_q + 1.0D))[0]
        when nq_p <= 1.0D - 0.02425D then transform(array(nq_p - 0.5D), nq_q -> transform(array(nq_q * nq_q), nq_r ->
            (((((-3.969683028665376e+01D * nq_r + 2.209460984245205e+02D) * nq_r - 2.759285104469687e+02D) * nq_r
                + 1.383577518672690e+02D) * nq_r - 3.066479806614716e+01D) * nq_r + 2.506628277459239e+00D) * nq_q
            / (((((-5.447609879822406e+01D * nq_r + 1.615858368580409e+02D) * nq_r - 1.556989798598866e+02D) * nq_r
                + 6.680131188771972e+01D) * nq_r - 1.328068155288572e+01D) * nq_r + 1.0D))[0])[0]
        else transform(array(sqrt(-2.0D * ln(1.0D - nq_p))), nq_q ->
            -(((((-7.784894002430293e-03D * nq_q - 3.223964580411365e-01D) * nq_q - 2.400758277161838e+00D) * nq_q
                - 2.549732539343734e+00D) * nq_q + 4.374664141464968e+00D) * nq_q + 2.938163982698783e+00D)
            / ((((7.784695709041462e-03D * nq_q + 3.224671290700398e-01D) * nq_q + 2.445134137142996e+00D) * nq_q
                + 3.754408661907416e+00D) * nq_q + 1.0D))[0]
    end), nq_x -> transform(
        array(({{ spark__stat_normal_sf('-nq_x') }} - nq_p) * sqrt(2.0D * pi()) * exp(nq_x * nq_x / 2.0D)),
        nq_u -> nq_x - nq_u / (1.0D + nq_x * nq_u / 2.0D)
    )[0])[0]
end)[0]
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

{# Lanczos (g = 7) for x >= 0.5; below, the reflection x -> 1 - x, as the PL/pgSQL does. #}
{% macro _spark_lanczos_ln_gamma(x) -%}
transform(array(({{ x }}) - 1.0D), lg_y -> 0.5D * ln(2.0D * pi()) + (lg_y + 0.5D) * ln(lg_y + 7.5D) - (lg_y + 7.5D)
    + ln(0.99999999999980993D + 676.5203681218851D / (lg_y + 1) + -1259.1392167224028D / (lg_y + 2)
        + 771.32342877765313D / (lg_y + 3) + -176.61502916214059D / (lg_y + 4)
        + 12.507343278686905D / (lg_y + 5) + -0.13857109526572012D / (lg_y + 6)
        + 9.9843695780195716e-6D / (lg_y + 7) + 1.5056327351493116e-7D / (lg_y + 8)))[0]
{%- endmacro %}

{% macro spark__stat_ln_gamma(x) -%}
transform(array(cast({{ x }} as double)), lg_x -> case
    when not (lg_x > 0.0D) then
        raise_error(concat('stat_ln_gamma: x must be > 0, got ', cast(lg_x as string)))
    when lg_x < 0.5D then ln(pi() / sin(pi() * lg_x)) - {{ _spark_lanczos_ln_gamma('1.0D - lg_x') }}
    else {{ _spark_lanczos_ln_gamma('lg_x') }}
end)[0]
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
transform(array({{ v }}), lz_v -> case when abs(lz_v) < 1e-300D then 1e-300D else lz_v end)[0]
{%- endmacro %}

{% macro spark__stat_incomplete_beta(x, a, b) -%}
transform(array(named_struct('x', cast({{ x }} as double), 'a', cast({{ a }} as double), 'b', cast({{ b }} as double))), ib -> case
    when not (ib.a > 0.0D and ib.b > 0.0D) then raise_error(concat(
        'stat_incomplete_beta: a and b must be > 0, got a = ', cast(ib.a as string), ', b = ', cast(ib.b as string)))
    when not (ib.x >= 0.0D and ib.x <= 1.0D) then
        raise_error(concat('stat_incomplete_beta: x must be in [0, 1], got ', cast(ib.x as string)))
    when ib.x = 0.0D or ib.x = 1.0D then ib.x
    else transform(array(case
        when ib.x >= (ib.a + 1.0D) / (ib.a + ib.b + 2.0D)
            then named_struct('swap', true, 'aa', ib.b, 'bb', ib.a, 'xx', 1.0D - ib.x)
        else named_struct('swap', false, 'aa', ib.a, 'bb', ib.b, 'xx', ib.x)
    end), ibs -> transform(array(
        {{ spark__stat_ln_gamma('ibs.aa + ibs.bb') }} - {{ spark__stat_ln_gamma('ibs.aa') }} - {{ spark__stat_ln_gamma('ibs.bb') }}
            + ibs.aa * ln(ibs.xx) + ibs.bb * ln(1.0D - ibs.xx)
    ), ib_front_log -> transform(array(
        1.0D / {{ _spark_lentz_guard('1.0D - (ibs.aa + ibs.bb) * ibs.xx / (ibs.aa + 1.0D)') }}
    ), ib_d0 -> transform(array(aggregate(
        sequence(1, 10000),
        named_struct('c', 1.0D, 'd', ib_d0, 'h', ib_d0, 'done', false),
        (st, m) -> case when st.done then st else transform(array(
            m * (ibs.bb - m) * ibs.xx / ((ibs.aa - 1.0D + 2 * m) * (ibs.aa + 2 * m))
        ), n1 -> transform(array(named_struct(
            'd', 1.0D / {{ _spark_lentz_guard('1.0D + n1 * st.d') }},
            'c', {{ _spark_lentz_guard('1.0D + n1 / st.c') }}
        )), s1 -> transform(array(
            -(ibs.aa + m) * (ibs.aa + ibs.bb + m) * ibs.xx / ((ibs.aa + 2 * m) * (ibs.aa + 1.0D + 2 * m))
        ), n2 -> transform(array(named_struct(
            'd', 1.0D / {{ _spark_lentz_guard('1.0D + n2 * s1.d') }},
            'c', {{ _spark_lentz_guard('1.0D + n2 / s1.c') }}
        )), s2 -> named_struct(
            'c', s2.c,
            'd', s2.d,
            'h', st.h * s1.d * s1.c * (s2.d * s2.c),
            'done', abs(s2.d * s2.c - 1.0D) < 1e-16D
        ))[0])[0])[0])[0] end
    ).h), ib_h -> transform(array(
        case when ib_front_log < -745.0D then 0.0D else exp(ib_front_log) end * ib_h / ibs.aa
    ), ib_value -> case when ibs.swap then 1.0D - ib_value else ib_value end)[0])[0])[0])[0])[0]
end)[0]
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
transform(array(named_struct('t', cast({{ t }} as double), 'df', cast({{ df }} as double))), tp -> case
    when not (tp.df > 0.0D) then
        raise_error(concat('stat_t_two_sided_p: df must be > 0, got ', cast(tp.df as string)))
    when isnan(tp.t) then tp.t
    when abs(tp.t) = cast('infinity' as double) then 0.0D
    when tp.df >= 100.0D then transform(array(tp.df - 0.5D), tp_a -> transform(array(48.0D * tp_a * tp_a), tp_b ->
        transform(array(tp_a * {{ spark__stat_ln_1_plus('tp.t * tp.t / tp.df') }}), tp_y0 -> transform(array(
            (((((-0.4D * tp_y0 - 3.3D) * tp_y0 - 24.0D) * tp_y0 - 85.5D) / (0.8D * tp_y0 * tp_y0 + 100.0D + tp_b)
                + tp_y0 + 3.0D) / tp_b + 1.0D) * sqrt(tp_y0)
        ), tp_y -> 2.0D * {{ spark__stat_normal_sf('tp_y') }})[0])[0])[0])[0]
    when tp.t * tp.t < tp.df then
        1.0D - {{ spark__stat_incomplete_beta('tp.t * tp.t / (tp.df + tp.t * tp.t)', '0.5D', 'tp.df / 2.0D') }}
    else {{ spark__stat_incomplete_beta('tp.df / (tp.df + tp.t * tp.t)', 'tp.df / 2.0D', '0.5D') }}
end)[0]
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
transform(array(named_struct('p', cast({{ p }} as double), 'df', cast({{ df }} as double))), tq -> case
    when not (tq.df > 0.0D) then
        raise_error(concat('stat_t_quantile: df must be > 0, got ', cast(tq.df as string)))
    when not (tq.p > 0.0D and tq.p < 1.0D) then
        raise_error(concat('stat_t_quantile: p must be in (0, 1), got ', cast(tq.p as string)))
    when tq.p = 0.5D then 0.0D
    else transform(array(greatest(tq.p, 1.0D - tq.p)), tq_upper -> transform(
        array({{ spark__stat_normal_quantile('tq_upper') }}), tq_x -> transform(array(tq_x * tq_x), tq_x2 -> transform(array(
            tq_x + ((tq_x2 + 1.0D) * tq_x / 4.0D
            + (((5.0D * tq_x2 + 16.0D) * tq_x2 + 3.0D) * tq_x / 96.0D
            + ((((3.0D * tq_x2 + 19.0D) * tq_x2 + 17.0D) * tq_x2 - 15.0D) * tq_x / 384.0D
            + ((((79.0D * tq_x2 + 776.0D) * tq_x2 + 1482.0D) * tq_x2 - 1920.0D) * tq_x2 - 945.0D) * tq_x / 92160.0D / tq.df)
                / tq.df) / tq.df) / tq.df
        ), tq_t0 -> transform(array(case
            when tq.df < 1000.0D then transform(array(
                {{ spark__stat_ln_gamma('(tq.df + 1.0D) / 2.0D') }} - {{ spark__stat_ln_gamma('tq.df / 2.0D') }}
                    - 0.5D * ln(tq.df * pi())
            ), tq_log_norm -> aggregate(
                sequence(1, 50),
                named_struct('t', tq_t0, 'done', false),
                (tq_st, tq_i) -> case when tq_st.done then tq_st else transform(array(
                    ((1.0D - {{ spark__stat_t_two_sided_p('tq_st.t', 'tq.df') }} / 2.0D) - tq_upper)
                    / exp(tq_log_norm - (tq.df + 1.0D) / 2.0D * {{ spark__stat_ln_1_plus('tq_st.t * tq_st.t / tq.df') }})
                ), tq_step -> named_struct(
                    't', tq_st.t - tq_step,
                    'done', abs(tq_step) <= 1e-15D * abs(tq_st.t - tq_step)
                ))[0] end
            ).t)[0]
            else tq_t0
        end), tq_t -> case when tq.p < 0.5D then -tq_t else tq_t end)[0])[0])[0])[0])[0]
end)[0]
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
