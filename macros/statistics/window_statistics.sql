-- noqa: disable=LT02,LT05
{# (sqlfluff lints a macro file by rendering the macro bodies out of context; their SQL is linted
    where the models and the cards use it.) #}
{#
    Any date window's per-arm unit statistics without re-reading the unit-days (issue #11 item 5;
    the design is in analyses/dashboards/README.md, "Statistics over any window in constant time").

    The significance test needs, per arm and metric sum(M) / sum(D), over the units active in the
    window: n, sum(M_u), sum(D_u), sum(M_u^2), sum(D_u^2), sum(M_u D_u) (and for CUPED the
    pre-period P_u: sum(P_u), sum(P_u^2), sum(M_u P_u), ...), where M_u is the unit's total over the
    window's days. A square of a window total is a sum over PAIRS of the unit's days:
    M_u^2 = sum over d1, d2 in the window of m_u,d1 m_u,d2. So the model arm_day_pair_statistics
    holds, per arm and pair of days (paired_metric_date <= metric_date), those products summed over
    units (symmetrised: both orders of an off-diagonal pair in one row), and a window's sums are the
    sum of its rows with BOTH days in the window: exact, whatever the window, in
    O(arms x days^2) rows instead of O(unit-days).

    Units in the window (n, and their pre-period sums) come from arm_day_unit_entries: per arm,
    day and the unit's previous active day (in the arm; and in the experiment, for the distinct
    units of an experiment). A unit is counted on its first day in the window: the day is in the
    window and its previous active day is not. That is exact when the window's days are one run
    of the arm's days with data (every date filter but an "exclude" one); for any other window
    (some day with data inside the window's span left out) the card counts those units from
    unit_daily_statistics instead (window_gaps below), exact again, only slower.

    The day sets come from the pair rows themselves: a unit active on day d has the diagonal row
    (d, d), so the diagonal rows that pass the dashboard's filters are exactly the window's days
    with data, per arm.
#}

{# `name numerator denominator cuped` per ratio metric, as statistics_metric_definitions, limited
   to metric_names (none: all) #}
{% macro window_statistics_metrics(metric_names=none) -%}
    {%- set found = namespace(metrics=[]) -%}
    {%- for line in statistics_metric_definitions().strip().split('\n') if line.strip() -%}
        {%- if metric_names is none or line.split()[0] in metric_names -%}
            {%- set found.metrics = found.metrics + [line.split()] -%}
        {%- endif -%}
    {%- endfor -%}
    {{- found.metrics | map('join', ' ') | join('\n') -}}
{%- endmacro %}


{#
    The product columns of arm_day_pair_statistics: `column left right` per line, where the
    column holds sum over units of left x right (pairs of days, symmetrised); per metric its
    numerator squared (<metric>__nn), denominator squared (__dd) and their product (__nd).
#}
{% macro window_statistics_pair_products() -%}
    {%- for line in window_statistics_metrics().split('\n') -%}
        {%- set metric = line.split() -%}
{{ metric[0] }}__nn {{ metric[1] }} {{ metric[1] }}
{{ metric[0] }}__dd {{ metric[2] }} {{ metric[2] }}
{{ metric[0] }}__nd {{ metric[1] }} {{ metric[2] }}
{% endfor -%}
{%- endmacro %}


{#
    The pre-period products: `column left right` per line over a unit's window totals (left) and
    its pre-period totals (right, pre_<column>), per CUPED metric: numerator x pre-numerator
    (<metric>__n_pre_n) and the other three combinations. Linear in the window totals, so these
    are day sums (diagonal rows only).
#}
{% macro window_statistics_pre_products() -%}
    {%- for line in window_statistics_metrics().split('\n') if line.split()[3] == 'cuped' -%}
        {%- set metric = line.split() -%}
{{ metric[0] }}__n_pre_n {{ metric[1] }} {{ metric[1] }}
{{ metric[0] }}__n_pre_d {{ metric[1] }} {{ metric[2] }}
{{ metric[0] }}__d_pre_n {{ metric[2] }} {{ metric[1] }}
{{ metric[0] }}__d_pre_d {{ metric[2] }} {{ metric[2] }}
{% endfor -%}
{%- endmacro %}


{# The pre-period squares of arm_day_unit_entries: `column left right` over pre_<column>s. #}
{% macro window_statistics_entry_products() -%}
    {%- for line in window_statistics_metrics().split('\n') if line.split()[3] == 'cuped' -%}
        {%- set metric = line.split() -%}
{{ metric[0] }}__pre_nn {{ metric[1] }} {{ metric[1] }}
{{ metric[0] }}__pre_dd {{ metric[2] }} {{ metric[2] }}
{{ metric[0] }}__pre_nd {{ metric[1] }} {{ metric[2] }}
{% endfor -%}
{%- endmacro %}


{#
    The CTEs (no leading `with`, no trailing comma) that reduce a window to per-arm statistics:
    - pairs_in_window: arm_day_pair_statistics rows whose metric_date passed the window's
      filters (the caller's CTE); the pairs with paired_metric_date in the window too are kept;
    - pairs, entries, unit_daily_statistics, pre_period: the relations (refs);
      unit_daily_statistics none: the whole history (pairs_in_window is every row of pairs; the
      marts variant_significance and experiment_power). Every day with data is then in the
      window, so there are no gaps and a unit enters on its first day of all (previous day
      null): the CTEs for gaps and the per-unit fallback are left out and nothing is joined to
      find a unit's entry;
    ending in three CTEs that significance_ctes and power_ctes read:
    - window_arm_units (experiment_id, variant_id, unit_count, first_metric_date, last_metric_date,
      and its experiment's experiment_unit_count, experiment_first_metric_date,
      experiment_last_metric_date; then the arm's pre-period sums);
    - window_experiment_units (experiment_id, unit_count, first_metric_date, last_metric_date):
      distinct units of the experiment (derived from window_arm_units; significance_ctes and
      power_ctes read window_arm_units' experiment columns instead);
    - window_arm_metric_statistics: the columns of significance_arm_statistics (per arm and
      metric: units, totals, means, sample variances and covariances, and the experiment's
      experiment_unit_count and experiment_last_metric_date), computed in numeric from exact sums,
      then float8.
    Spark inlines every reference to a CTE into the plan (README "Running on Apache Spark"), so
    each CTE here that reads the window's units or days is read by as few CTEs as possible:
    table references after inlining, card Statistical Significance 880 -> 134 -> 44.
#}
{% macro window_statistics_ctes(pairs_in_window, pairs, entries, unit_daily_statistics=none, pre_period=none, metric_names=none) -%}
{%- set whole_history = unit_daily_statistics is none -%}
{%- set use_cuped = var('statistics_cuped', true) -%}
{%- set metrics = [] -%}
{%- for line in window_statistics_metrics(metric_names).split('\n') if line.strip() -%}
    {%- do metrics.append(line.split()) -%}
{%- endfor -%}
{%- set total_columns = statistics_total_columns().split() -%}
{%- set pre_columns = statistics_pre_period_columns().split() -%}
window_days as (

    {#- the window's days with data, per arm: the diagonal rows that passed the filters -#}
    select
        experiment_id,
        variant_id,
        metric_date

    from {{ pairs_in_window }}

    where paired_metric_date = metric_date

),

window_pair_sums as (

    select
        window_pairs.experiment_id,
        window_pairs.variant_id,
        {%- for column in total_columns %}
        sum(window_pairs.{{ column }}) as {{ column }},
        {%- endfor %}
        {%- for line in window_statistics_pair_products().strip().split('\n') %}
        sum(window_pairs.{{ line.split()[0] }}) as {{ line.split()[0] }},
        {%- endfor %}
        {%- for line in window_statistics_pre_products().strip().split('\n') %}
        sum(window_pairs.{{ line.split()[0] }}) as {{ line.split()[0] }}{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ pairs_in_window }} as window_pairs
    {%- if not whole_history %}
    inner join window_days as paired_days
        on
            window_pairs.experiment_id = paired_days.experiment_id
            and window_pairs.variant_id = paired_days.variant_id
            and window_pairs.paired_metric_date = paired_days.metric_date
    {%- endif %}

    group by 1, 2

),

{%- if whole_history %}
{#- the whole history: a unit enters on its first day in the arm / in the experiment -#}
window_unit_entries as (

    select
        experiment_id,
        variant_id,
        metric_date,
        unit_count,
        previous_metric_date is null as is_arm_entry,
        previous_experiment_metric_date is null as is_experiment_entry,
        {%- for column in pre_columns %}
        pre_{{ column }},
        {%- endfor %}
        {%- for line in window_statistics_entry_products().strip().split('\n') %}
        {{ line.split()[0] }}{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ entries }}

    where previous_metric_date is null or previous_experiment_metric_date is null

),
{%- else %}

{#- Some arm's days with data inside the window's span left out (an "exclude" date filter):
    units are then counted per unit (window_unit_fallback) -#}
window_gaps as (

    {#- One reference to window_days and one to the pair rows (the arms' days with data), not two
        of each (Spark copies both into every reference of this CTE; README "Running on Apache
        Spark"): per arm of the window, its span (first to last window day) and its experiment's
        span and distinct window days (dense_rank: the distinct days of the experiment's arms);
        a gap when the arm has more days with data in its span than window days, or the
        experiment more distinct days with data (any arm) in its span than window days. An
        experiment is listed once per arm with a gap. -#}
    select spans.experiment_id
    from (
        select
            experiment_id,
            variant_id,
            min(metric_date) as first_metric_date,
            max(metric_date) as last_metric_date,
            count(*) as day_count,
            min(min(metric_date)) over arm_experiment as experiment_first_metric_date,
            max(max(metric_date)) over arm_experiment as experiment_last_metric_date,
            max(max(experiment_day_number)) over arm_experiment as experiment_day_count
        from (
            select
                experiment_id,
                variant_id,
                metric_date,
                dense_rank() over (partition by experiment_id order by metric_date) as experiment_day_number
            from window_days
        ) as numbered_days
        group by 1, 2
        window arm_experiment as (partition by experiment_id)
    ) as spans
    inner join {{ pairs }} as days_with_data
        on
            spans.experiment_id = days_with_data.experiment_id
            and days_with_data.paired_metric_date = days_with_data.metric_date
            and days_with_data.metric_date
            between spans.experiment_first_metric_date and spans.experiment_last_metric_date
    group by
        spans.experiment_id,
        spans.variant_id,
        spans.first_metric_date,
        spans.last_metric_date,
        spans.day_count,
        spans.experiment_day_count
    having
        count(
            case
                when
                    days_with_data.variant_id = spans.variant_id
                    and days_with_data.metric_date between spans.first_metric_date and spans.last_metric_date
                    then 1
            end
        ) > spans.day_count
        or count(distinct days_with_data.metric_date) > spans.experiment_day_count

),

{#- a unit's first day in the window: the day is in the window, its previous active day (in the
    arm / in the experiment) is not. For an experiment without window_gaps every arm's window is
    one run of its days with data (and the experiment's one run of its days), so a day with data
    is in the window when it lies between the arm's first and last window day, and the unit's
    previous active day (a day with data, before this one) is not in the window when it lies
    before the arm's (the experiment's) first window day: one join with the arms' spans instead of
    a lookup of each previous day in window_days (Spark copies window_days into every reference;
    README "Running on Apache Spark"). -#}
window_entries as (

    select
        entries.experiment_id,
        entries.variant_id,
        entries.metric_date,
        entries.unit_count,
        coalesce(entries.previous_metric_date < spans.first_metric_date, true) as is_arm_entry,
        coalesce(entries.previous_experiment_metric_date < spans.experiment_first_metric_date, true)
            as is_experiment_entry,
        {%- for column in pre_columns %}
        entries.pre_{{ column }},
        {%- endfor %}
        {%- for line in window_statistics_entry_products().strip().split('\n') %}
        entries.{{ line.split()[0] }}{{ ',' if not loop.last }}
        {%- endfor %}

    from {{ entries }} as entries
    inner join (
        select
            experiment_id,
            variant_id,
            min(metric_date) as first_metric_date,
            max(metric_date) as last_metric_date,
            min(min(metric_date)) over (partition by experiment_id) as experiment_first_metric_date
        from window_days
        group by 1, 2
    ) as spans
        on
            entries.experiment_id = spans.experiment_id
            and entries.variant_id = spans.variant_id
            and entries.metric_date between spans.first_metric_date and spans.last_metric_date

    where
        entries.experiment_id not in (select window_gaps.experiment_id from window_gaps)
        and (
            coalesce(entries.previous_metric_date < spans.first_metric_date, true)
            or coalesce(entries.previous_experiment_metric_date < spans.experiment_first_metric_date, true)
        )

),

{#- the exact per-unit count for an experiment with window_gaps (not executed otherwise) -#}
window_unit_fallback as (

    select
        units.experiment_id,
        units.variant_id,
        units.first_metric_date as metric_date,
        1 as unit_count,
        true as is_arm_entry,
        units.is_experiment_entry,
        {%- for column in pre_columns %}
        coalesce({{ pre_period }}.pre_{{ column }}, 0.0)::{{ sql_type('numeric') }} as pre_{{ column }},
        {%- endfor %}
        {%- for line in window_statistics_entry_products().strip().split('\n') %}
        {%- set product = line.split() %}
        coalesce({{ pre_period }}.pre_{{ product[1] }}, 0.0)::{{ sql_type('numeric') }} * coalesce({{ pre_period }}.pre_{{ product[2] }}, 0.0)::{{ sql_type('numeric') }}
            as {{ product[0] }}{{ ',' if not loop.last }}
        {%- endfor %}

    from (
        select
            unit_days.experiment_id,
            unit_days.variant_id,
            unit_days.unit_id,
            min(unit_days.metric_date) as first_metric_date,
            {#- one arm of the unit carries its experiment-level count -#}
            row_number() over (
                partition by unit_days.experiment_id, unit_days.unit_id order by unit_days.variant_id
            ) = 1 as is_experiment_entry
        from {{ unit_daily_statistics }} as unit_days
        inner join window_days
            on
                unit_days.experiment_id = window_days.experiment_id
                and unit_days.variant_id = window_days.variant_id
                and unit_days.metric_date = window_days.metric_date
        where unit_days.experiment_id in (select window_gaps.experiment_id from window_gaps)
        group by 1, 2, 3
    ) as units
    left join {{ pre_period }}
        on
            units.experiment_id = {{ pre_period }}.experiment_id
            and units.unit_id = {{ pre_period }}.unit_id

),

window_unit_entries as (

    select * from window_entries
    union all
    select * from window_unit_fallback

),
{%- endif %}

{#- Per arm, everything the later steps read of the window's units, in ONE reference to
    window_unit_entries: the arm's units (n) and pre-period sums (its units' entries in the arm),
    its first and last day, and its experiment's distinct units and days (window functions over
    the experiment's arms: a unit enters the experiment on one arm only). Spark inlines every
    reference to a CTE: window_arm_units, window_experiment_units and window_arm_pre_sums each read
    window_unit_entries before (15 table scans each in the card Statistical Significance), and
    significance_ctes read the first two 4 times more; now significance_ctes reads this CTE 3
    times (ratio metrics, quantile test, sample-ratio test), each 10 scans (README "Running on
    Apache Spark"). -#}
window_arm_units as (

    select
        arm_days.experiment_id,
        arm_days.variant_id,
        arm_entries.unit_count,
        arm_days.first_metric_date,
        arm_days.last_metric_date,
        cast(sum(arm_entries.experiment_unit_count) over arm_experiment as bigint) as experiment_unit_count,
        min(arm_days.first_metric_date) over arm_experiment as experiment_first_metric_date,
        max(arm_days.last_metric_date) over arm_experiment as experiment_last_metric_date,
        {%- for column in pre_columns %}
        arm_entries.pre_{{ column }},
        {%- endfor %}
        {%- for line in window_statistics_entry_products().strip().split('\n') %}
        arm_entries.{{ line.split()[0] }}{{ ',' if not loop.last }}
        {%- endfor %}

    from (
        select
            experiment_id,
            variant_id,
            min(metric_date) as first_metric_date,
            max(metric_date) as last_metric_date
        from window_days
        group by 1, 2
    ) as arm_days
    inner join (
        select
            experiment_id,
            variant_id,
            cast(sum(case when is_arm_entry then unit_count end) as bigint) as unit_count,
            sum(case when is_experiment_entry then unit_count end) as experiment_unit_count,
            {%- for column in pre_columns %}
            sum(case when is_arm_entry then pre_{{ column }}::{{ sql_type('numeric') }} end) as pre_{{ column }},
            {%- endfor %}
            {%- for line in window_statistics_entry_products().strip().split('\n') %}
            sum(case when is_arm_entry then {{ line.split()[0] }}::{{ sql_type('numeric') }} end)
                as {{ line.split()[0] }}{{ ',' if not loop.last }}
            {%- endfor %}
        from window_unit_entries
        group by 1, 2
    ) as arm_entries
        on
            arm_days.experiment_id = arm_entries.experiment_id
            and arm_days.variant_id = arm_entries.variant_id

    {#- an arm counts from its units' entries in it (an arm with days has some: its first day's
        units enter it) #}
    where arm_entries.unit_count is not null

    window arm_experiment as (partition by arm_days.experiment_id)

),

{#- per experiment (a row per experiment with units in the window); the significance and power
    steps read window_arm_units' experiment columns instead, this is the macro's documented output -#}
window_experiment_units as (

    select distinct
        experiment_id,
        experiment_unit_count as unit_count,
        experiment_first_metric_date as first_metric_date,
        experiment_last_metric_date as last_metric_date

    from window_arm_units

),

{#- per arm and metric, in numeric (exact sums; sample variance = (sum x^2 - (sum x)^2 / n) / (n - 1)).
    One join of the arm's three sums, then a row per metric (a cross join with the metric names
    and a `case` per column), not a union of one join per metric: Spark inlines every reference
    to a CTE, so a union of 8 joins copied the CTEs behind window_arm_units, window_pair_sums and
    window_arm_pre_sums 8 times into the plan (136 table scans up to here in the card Statistical
    Significance; README "Running on Apache Spark"). -#}
{%- set sum_columns = [
    ('sum_n', 'sums', '', 1, false),
    ('sum_d', 'sums', '', 2, false),
    ('sum_nn', 'sums', '__nn', 0, false),
    ('sum_dd', 'sums', '__dd', 0, false),
    ('sum_nd', 'sums', '__nd', 0, false),
    ('sum_pn', 'units', 'pre_', 1, true),
    ('sum_pd', 'units', 'pre_', 2, true),
    ('sum_pn_pn', 'units', '__pre_nn', 0, true),
    ('sum_pd_pd', 'units', '__pre_dd', 0, true),
    ('sum_pn_pd', 'units', '__pre_nd', 0, true),
    ('sum_n_pn', 'sums', '__n_pre_n', 0, true),
    ('sum_n_pd', 'sums', '__n_pre_d', 0, true),
    ('sum_d_pn', 'sums', '__d_pre_n', 0, true),
    ('sum_d_pd', 'sums', '__d_pre_d', 0, true),
] %}
window_arm_metric_sums as (

    select
        units.experiment_id,
        units.variant_id,
        metric_names.metric_name,
        units.unit_count::{{ sql_type('numeric') }} as n,
        units.experiment_unit_count,
        units.experiment_last_metric_date,
        {%- for name, relation, affix, index, needs_cuped in sum_columns %}
        case metric_names.metric_name
            {%- for metric in metrics %}
            {%- if needs_cuped and not (metric[3] == 'cuped' and use_cuped) %}
            when '{{ metric[0] }}' then 0.0::{{ sql_type('numeric') }}
            {%- elif index == 0 %}
            when '{{ metric[0] }}' then {{ relation }}.{{ metric[0] }}{{ affix }}::{{ sql_type('numeric') }}
            {%- else %}
            when '{{ metric[0] }}' then {{ relation }}.{{ affix }}{{ metric[index] }}::{{ sql_type('numeric') }}
            {%- endif %}
            {%- endfor %}
        end as {{ name }}{{ ',' if not loop.last }}
        {%- endfor %}
    from window_arm_units as units
    inner join window_pair_sums as sums
        on
            units.experiment_id = sums.experiment_id
            and units.variant_id = sums.variant_id
    cross join (
        values
        {%- for metric in metrics %}
            ('{{ metric[0] }}'){{ ',' if not loop.last }}
        {%- endfor %}
    ) as metric_names (metric_name)

),

window_arm_metric_statistics as (

    {%- set moments = [
        ('numerator_variance', 'sum_nn', 'sum_n', 'sum_n'),
        ('denominator_variance', 'sum_dd', 'sum_d', 'sum_d'),
        ('numerator_denominator_covariance', 'sum_nd', 'sum_n', 'sum_d'),
        ('pre_numerator_variance', 'sum_pn_pn', 'sum_pn', 'sum_pn'),
        ('pre_denominator_variance', 'sum_pd_pd', 'sum_pd', 'sum_pd'),
        ('pre_numerator_denominator_covariance', 'sum_pn_pd', 'sum_pn', 'sum_pd'),
        ('numerator_pre_numerator_covariance', 'sum_n_pn', 'sum_n', 'sum_pn'),
        ('numerator_pre_denominator_covariance', 'sum_n_pd', 'sum_n', 'sum_pd'),
        ('denominator_pre_numerator_covariance', 'sum_d_pn', 'sum_d', 'sum_pn'),
        ('denominator_pre_denominator_covariance', 'sum_d_pd', 'sum_d', 'sum_pd'),
    ] %}
    select
        experiment_id,
        variant_id,
        metric_name,
        n::bigint as unit_count,
        experiment_unit_count,
        experiment_last_metric_date,
        sum_n::{{ sql_type('float8') }} as numerator_total,
        sum_d::{{ sql_type('float8') }} as denominator_total,
        {{ window_statistics_mean('sum_n') }} as numerator_mean,
        {{ window_statistics_mean('sum_d') }} as denominator_mean,
        {%- for name, product, left, right in moments %}
        case when n >= 2 then {{ window_statistics_moment(product, left, right) }} end as {{ name }},
        {%- endfor %}
        {{ window_statistics_mean('sum_pn') }} as pre_numerator_mean,
        {{ window_statistics_mean('sum_pd') }} as pre_denominator_mean

    from window_arm_metric_sums

)
{%- endmacro %}


{#
    A mean (total / n) and a sample (co)variance ((product - left x right / n) / (n - 1)) of
    window_arm_metric_statistics, from the decimal sums (n the unit count). PostgreSQL: in numeric
    (every digit), then float8. Spark: in double, since Spark's division and multiplication of two
    decimal(38,18) return decimal(38,6) (spark.sql.decimalOperations.allowPrecisionLoss), which
    kept 6 decimal places of every mean and variance (the card Power and Time to Decision was
    1.5e-8 relative from PostgreSQL; README "Running on Apache Spark"); double keeps ~1e-16
    relative, within the 1e-9 the Spark tests compare at.
#}
{% macro window_statistics_mean(total) -%}
    {%- if adapter is defined -%}
        {{ adapter.dispatch('window_statistics_mean', 'experiment_analytics')(total) }}
    {%- else -%}
        {{ default__window_statistics_mean(total) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__window_statistics_mean(total) -%}
    ({{ total }} / n)::{{ sql_type('float8') }}
{%- endmacro %}

{% macro spark__window_statistics_mean(total) -%}
    (cast({{ total }} as double) / cast(n as double))
{%- endmacro %}

{% macro window_statistics_moment(product, left, right) -%}
    {%- if adapter is defined -%}
        {{ adapter.dispatch('window_statistics_moment', 'experiment_analytics')(product, left, right) }}
    {%- else -%}
        {{ default__window_statistics_moment(product, left, right) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__window_statistics_moment(product, left, right) -%}
    (({{ product }} - {{ left }} * {{ right }} / n) / (n - 1))::{{ sql_type('float8') }}
{%- endmacro %}

{% macro spark__window_statistics_moment(product, left, right) -%}
    ((cast({{ product }} as double) - cast({{ left }} as double) * cast({{ right }} as double) / cast(n as double))
        / cast(n - 1 as double))
{%- endmacro %}


{#
    The latency quantile test's input for a window (significance_ctes' latency_buckets): the rows
    of arm_day_pair_latency_buckets (`buckets`) with BOTH days among `days` (a CTE of
    experiment_id, variant_id, metric_date: the window's days per arm; none: every day), summed per
    arm and latency bucket.
#}
{% macro window_latency_bucket_sums(buckets, days=none) -%}
    select
        buckets.experiment_id,
        buckets.variant_id,
        buckets.latency_bucket,
        sum(buckets.generation_count) as generation_count,
        min(buckets.latency_min_ms) as latency_min_ms,
        max(buckets.latency_max_ms) as latency_max_ms,
        sum(buckets.below_pair_products) as below_pair_products,
        sum(buckets.below_total_products) as below_total_products

    from {{ buckets }} as buckets
    {%- if days %}
    {#- semi-joins (hashed): the days CTE is small, its row count unknown to the planner #}
    where
        exists (
            select 1
            from {{ days }} as later_days
            where
                buckets.experiment_id = later_days.experiment_id
                and buckets.variant_id = later_days.variant_id
                and buckets.metric_date = later_days.metric_date
        )
        and exists (
            select 1
            from {{ days }} as earlier_days
            where
                buckets.experiment_id = earlier_days.experiment_id
                and buckets.variant_id = earlier_days.variant_id
                and buckets.paired_metric_date = earlier_days.metric_date
        )
    {%- endif %}

    group by 1, 2, 3
{%- endmacro %}
