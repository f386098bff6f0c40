{#
    The distribution functions the significance models need, created by dbt as SQL functions in
    the target schema. `statistics_functions_ddl()` returns the DDL: the on-run-start hook in
    dbt_project.yml renders it, so every `dbt build`/`run` creates or replaces the functions before
    any model uses them. `dbt run-operation create_statistics_functions` executes the same DDL on
    its own (e.g. for a warehouse where only the analyses are compiled).

    They use only float8 arithmetic, exp, ln and sqrt: no erf/erfc (PostgreSQL >= 16 only), no
    log1p, no lgamma (PostgreSQL >= 18 only), so they behave the same on PostgreSQL 14 to 18.
    Accuracy against scipy is checked by tests/python/statistics/ (targets: /work STATISTICS.md §7,
    summarised in macros/statistics/_statistics.yml).

    All are immutable, strict (null in, null out) and parallel safe; input outside the domain
    raises an error that names the function and the bad value.
#}
{% macro statistics_functions_ddl(schema=none) %}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('statistics_functions_ddl', 'experiment_analytics')(schema)) }}
    {%- else -%}
        {{ return(default__statistics_functions_ddl(schema)) }}
    {%- endif -%}
{% endmacro %}

{#- Spark: nothing to create; the statistics are SQL expressions (distribution_functions.sql). -#}
{% macro spark__statistics_functions_ddl(schema=none) %}
select 'statistics are SQL expressions on Spark: macros/statistics/distribution_functions.sql' as note
{% endmacro %}

{% macro default__statistics_functions_ddl(schema=none) %}
{%- set schema = schema or statistics_schema() -%}
create schema if not exists {{ schema }};

-- ln(1 + x) without catastrophic cancellation for small x (no log1p before PostgreSQL 18).
create or replace function {{ schema }}.stat_ln_1_plus(x float8)
returns float8
language sql immutable strict parallel safe
as $fn$
    select case when 1.0::float8 + x = 1.0::float8 then x else ln(1.0::float8 + x) * x / ((1.0::float8 + x) - 1.0::float8) end
$fn$;

-- Upper tail Q(z) = P(Z > z) of the standard normal: Hart (1968) #5666 as given by West (2005).
create or replace function {{ schema }}.stat_normal_sf(z float8)
returns float8
language plpgsql immutable strict parallel safe
as $fn$
declare
    a float8 := abs(z);
    e float8;
    num float8;
    den float8;
    lower_tail float8;  -- P(Z < -|z|)
    k integer;
begin
    if z = 'NaN'::float8 then
        return z;
    end if;
    if a > 37.0 then
        lower_tail := 0.0;
    else
        e := exp(-a * a / 2.0);
        if a < 7.07106781186547 then
            num := 3.52624965998911e-02 * a + 0.700383064443688;
            num := num * a + 6.37396220353165;
            num := num * a + 33.912866078383;
            num := num * a + 112.079291497871;
            num := num * a + 221.213596169931;
            num := num * a + 220.206867912376;
            den := 8.83883476483184e-02 * a + 1.75566716318264;
            den := den * a + 16.064177579207;
            den := den * a + 86.7807322029461;
            den := den * a + 296.564248779674;
            den := den * a + 637.333633378831;
            den := den * a + 793.826512519948;
            den := den * a + 440.413735824752;
            lower_tail := e * num / den;
        else
            -- West's 4-term continued fraction is accurate to ~2e-8 relative here; 20 terms of the
            -- same (Laplace) fraction give ~1e-13 relative, so tiny p-values stay meaningful.
            den := a;
            for k in reverse 20..1 loop
                den := a + k / den;
            end loop;
            lower_tail := e / den / sqrt(2.0 * pi());
        end if;
    end if;
    if z > 0 then
        return lower_tail;
    end if;
    return 1.0 - lower_tail;
end
$fn$;

-- Standard normal quantile: Acklam's rational approximation refined by one Halley step on
-- stat_normal_sf (relative error ~1e-15 instead of Acklam's 1e-9).
create or replace function {{ schema }}.stat_normal_quantile(p float8)
returns float8
language plpgsql immutable strict parallel safe
as $fn$
declare
    q float8;
    r float8;
    x float8;
    err float8;
    u float8;
begin
    if not (p >= 0.0 and p <= 1.0) then
        raise exception 'stat_normal_quantile: p must be in [0, 1], got %', p;
    end if;
    if p = 0.0 then
        return '-infinity'::float8;
    elsif p = 1.0 then
        return 'infinity'::float8;
    end if;
    if p < 0.02425 then
        q := sqrt(-2.0 * ln(p));
        x := (((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
            / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
                + 3.754408661907416e+00) * q + 1.0);
    elsif p <= 1.0 - 0.02425 then
        q := p - 0.5;
        r := q * q;
        x := (((((-3.969683028665376e+01 * r + 2.209460984245205e+02) * r - 2.759285104469687e+02) * r
                + 1.383577518672690e+02) * r - 3.066479806614716e+01) * r + 2.506628277459239e+00) * q
            / (((((-5.447609879822406e+01 * r + 1.615858368580409e+02) * r - 1.556989798598866e+02) * r
                + 6.680131188771972e+01) * r - 1.328068155288572e+01) * r + 1.0);
    else
        q := sqrt(-2.0 * ln(1.0 - p));
        x := -(((((-7.784894002430293e-03 * q - 3.223964580411365e-01) * q - 2.400758277161838e+00) * q
                - 2.549732539343734e+00) * q + 4.374664141464968e+00) * q + 2.938163982698783e+00)
            / ((((7.784695709041462e-03 * q + 3.224671290700398e-01) * q + 2.445134137142996e+00) * q
                + 3.754408661907416e+00) * q + 1.0);
    end if;
    -- Halley step on Phi(x) - p, with Phi(x) = Q(-x)
    err := {{ schema }}.stat_normal_sf(-x) - p;
    u := err * sqrt(2.0 * pi()) * exp(x * x / 2.0);
    return x - u / (1.0 + x * u / 2.0);
end
$fn$;

-- ln Gamma(x) for x > 0: Lanczos approximation (g = 7, 9 coefficients), reflection below 0.5.
create or replace function {{ schema }}.stat_ln_gamma(x float8)
returns float8
language plpgsql immutable strict parallel safe
as $fn$
declare
    coefficients float8[] := array[
        676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
        12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7
    ];
    y float8;
    total float8 := 0.99999999999980993;
    t float8;
begin
    if not (x > 0.0) then
        raise exception 'stat_ln_gamma: x must be > 0, got %', x;
    end if;
    if x < 0.5 then
        return ln(pi() / sin(pi() * x)) - {{ schema }}.stat_ln_gamma(1.0 - x);
    end if;
    y := x - 1.0;
    for i in 1..8 loop
        total := total + coefficients[i] / (y + i);
    end loop;
    t := y + 7.5;
    return 0.5 * ln(2.0 * pi()) + (y + 0.5) * ln(t) - t + ln(total);
end
$fn$;

-- Regularized incomplete beta I_x(a, b): continued fraction by the modified Lentz method
-- (Numerical Recipes §6.4), using the symmetry I_x(a, b) = 1 - I_{1-x}(b, a) where it converges
-- faster.
create or replace function {{ schema }}.stat_incomplete_beta(x float8, a float8, b float8)
returns float8
language plpgsql immutable strict parallel safe
as $fn$
declare
    tiny constant float8 := 1e-300;
    swap boolean;
    aa float8;
    bb float8;
    xx float8;
    front float8;
    c float8;
    d float8;
    h float8;
    delta float8;
    numerator float8;
    m2 integer;
begin
    if not (a > 0.0 and b > 0.0) then
        raise exception 'stat_incomplete_beta: a and b must be > 0, got a = %, b = %', a, b;
    end if;
    if not (x >= 0.0 and x <= 1.0) then
        raise exception 'stat_incomplete_beta: x must be in [0, 1], got %', x;
    end if;
    if x = 0.0 or x = 1.0 then
        return x;
    end if;
    swap := x >= (a + 1.0) / (a + b + 2.0);
    if swap then
        aa := b; bb := a; xx := 1.0 - x;
    else
        aa := a; bb := b; xx := x;
    end if;
    front := {{ schema }}.stat_ln_gamma(aa + bb) - {{ schema }}.stat_ln_gamma(aa) - {{ schema }}.stat_ln_gamma(bb)
        + aa * ln(xx) + bb * ln(1.0 - xx);
    if front < -745.0 then
        front := 0.0;
    else
        front := exp(front);
    end if;
    c := 1.0;
    d := 1.0 - (aa + bb) * xx / (aa + 1.0);
    if abs(d) < tiny then d := tiny; end if;
    d := 1.0 / d;
    h := d;
    for m in 1..10000 loop
        m2 := 2 * m;
        numerator := m * (bb - m) * xx / ((aa - 1.0 + m2) * (aa + m2));
        d := 1.0 + numerator * d;
        if abs(d) < tiny then d := tiny; end if;
        c := 1.0 + numerator / c;
        if abs(c) < tiny then c := tiny; end if;
        d := 1.0 / d;
        h := h * d * c;
        numerator := -(aa + m) * (aa + bb + m) * xx / ((aa + m2) * (aa + 1.0 + m2));
        d := 1.0 + numerator * d;
        if abs(d) < tiny then d := tiny; end if;
        c := 1.0 + numerator / c;
        if abs(c) < tiny then c := tiny; end if;
        d := 1.0 / d;
        delta := d * c;
        h := h * delta;
        exit when abs(delta - 1.0) < 1e-16;
    end loop;
    if swap then
        return 1.0 - front * h / aa;
    end if;
    return front * h / aa;
end
$fn$;

-- Two-sided p-value P(|T| > |t|) of Student's t with (non-integer) df > 0:
-- df >= 100: Hill (1970, CACM Algorithm 395) asymptotic normalisation (error < 1e-14 there);
-- df < 100: exact, 2-sided p = I_{df/(df+t^2)}(df/2, 1/2), or its complement near t = 0.
create or replace function {{ schema }}.stat_t_two_sided_p(t float8, df float8)
returns float8
language plpgsql immutable strict parallel safe
as $fn$
declare
    a float8;
    b float8;
    y float8;
begin
    if not (df > 0.0) then
        raise exception 'stat_t_two_sided_p: df must be > 0, got %', df;
    end if;
    if t = 'NaN'::float8 then
        return t;
    end if;
    if abs(t) = 'infinity'::float8 then
        return 0.0;
    end if;
    if df >= 100.0 then
        a := df - 0.5;
        b := 48.0 * a * a;
        y := a * {{ schema }}.stat_ln_1_plus(t * t / df);
        y := (((((-0.4 * y - 3.3) * y - 24.0) * y - 85.5) / (0.8 * y * y + 100.0 + b) + y + 3.0) / b + 1.0)
            * sqrt(y);
        return 2.0 * {{ schema }}.stat_normal_sf(y);
    end if;
    -- Near t = 0, x = df / (df + t^2) is close to 1 and 1 - x would cancel: use the complement
    -- I_x(df/2, 1/2) = 1 - I_y(1/2, df/2) with y = t^2 / (df + t^2) computed directly.
    if t * t < df then
        return 1.0 - {{ schema }}.stat_incomplete_beta(t * t / (df + t * t), 0.5, df / 2.0);
    end if;
    return {{ schema }}.stat_incomplete_beta(df / (df + t * t), df / 2.0, 0.5);
end
$fn$;

-- Quantile of Student's t: Cornish-Fisher expansion (Abramowitz-Stegun 26.7.5), then Newton
-- steps on the exact CDF while df < 1000 (above, the expansion is exact to rounding).
create or replace function {{ schema }}.stat_t_quantile(p float8, df float8)
returns float8
language plpgsql immutable strict parallel safe
as $fn$
declare
    upper_p float8;
    x float8;
    x2 float8;
    t float8;
    cdf float8;
    density float8;
    step float8;
    log_norm float8;
begin
    if not (df > 0.0) then
        raise exception 'stat_t_quantile: df must be > 0, got %', df;
    end if;
    if not (p > 0.0 and p < 1.0) then
        raise exception 'stat_t_quantile: p must be in (0, 1), got %', p;
    end if;
    if p = 0.5 then
        return 0.0;
    end if;
    upper_p := greatest(p, 1.0 - p);
    x := {{ schema }}.stat_normal_quantile(upper_p);
    x2 := x * x;
    t := x + ((x2 + 1.0) * x / 4.0
        + (((5.0 * x2 + 16.0) * x2 + 3.0) * x / 96.0
        + ((((3.0 * x2 + 19.0) * x2 + 17.0) * x2 - 15.0) * x / 384.0
        + ((((79.0 * x2 + 776.0) * x2 + 1482.0) * x2 - 1920.0) * x2 - 945.0) * x / 92160.0 / df) / df) / df) / df;
    if df < 1000.0 then
        log_norm := {{ schema }}.stat_ln_gamma((df + 1.0) / 2.0) - {{ schema }}.stat_ln_gamma(df / 2.0)
            - 0.5 * ln(df * pi());
        for i in 1..50 loop
            cdf := 1.0 - {{ schema }}.stat_t_two_sided_p(t, df) / 2.0;
            density := exp(log_norm - (df + 1.0) / 2.0 * {{ schema }}.stat_ln_1_plus(t * t / df));
            step := (cdf - upper_p) / density;
            t := t - step;
            exit when abs(step) <= 1e-15 * abs(t);
        end loop;
    end if;
    if p < 0.5 then
        return -t;
    end if;
    return t;
end
$fn$;

-- Survival function P(X > x) of the chi-square distribution with integer df >= 1: the exact
-- finite series (even df: Poisson sum; odd df: 2 Q(sqrt x) plus a half-integer series),
-- summed in log space so large x never underflows exp().
create or replace function {{ schema }}.stat_chi_square_sf(x float8, df integer)
returns float8
language plpgsql immutable strict parallel safe
as $fn$
declare
    half_x float8;
    log_term float8;
    total float8 := 0.0;
    k integer;
begin
    if df < 1 then
        raise exception 'stat_chi_square_sf: df must be >= 1, got %', df;
    end if;
    if x = 'NaN'::float8 then
        return x;
    end if;
    if x <= 0.0 then
        return 1.0;
    end if;
    if x = 'infinity'::float8 then
        return 0.0;
    end if;
    half_x := x / 2.0;
    if df % 2 = 0 then
        log_term := -half_x;  -- i = 0: exp(-x/2)
        for i in 0..(df / 2 - 1) loop
            if i > 0 then
                log_term := log_term + ln(half_x) - ln(i::float8);
            end if;
            if log_term > -745.0 then
                total := total + exp(log_term);
            end if;
        end loop;
        return least(1.0, total);
    end if;
    total := 2.0 * {{ schema }}.stat_normal_sf(sqrt(x));
    k := (df - 1) / 2;  -- terms (x/2)^(i + 1/2) exp(-x/2) / Gamma(i + 3/2), i = 0 .. k - 1
    log_term := -half_x + 0.5 * ln(half_x) - ln(sqrt(pi()) / 2.0);
    for i in 0..(k - 1) loop
        if i > 0 then
            log_term := log_term + ln(half_x) - ln(i + 0.5);
        end if;
        if log_term > -745.0 then
            total := total + exp(log_term);
        end if;
    end loop;
    return least(1.0, total);
end
$fn$;
{% endmacro %}

{% macro create_statistics_functions(schema=none) %}
    {% do run_query(statistics_functions_ddl(schema)) %}
    {{ log('statistics functions created in schema ' ~ (schema or statistics_schema()), info=true) }}
{% endmacro %}

{#
    The schema holding the statistics functions: the target schema. (sqlfluff's jinja templater
    has no `target`, so lint renders a placeholder.)
#}
{% macro statistics_schema() -%}
    {{- target.schema if target is defined else 'analytics' -}}
{%- endmacro %}
