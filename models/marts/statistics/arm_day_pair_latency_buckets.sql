-- noqa: disable=LT02
{#
    Per experiment x variant x pair of UTC days (paired_metric_date <= metric_date) x latency
    bucket (the log-spaced grid of macros/statistics/latency_histograms.sql): what the latency
    quantile test needs for ANY date window, summed over the arm's units, so the Statistical
    Significance card and variant_significance never rank the generations (design in
    analyses/dashboards/README.md, "The latency quantile test over any window").

    For a threshold t at the upper edge of bucket k, a unit's count of latencies at or below t
    over a window is b_u(k) = sum over the window's days d of b_u,d(k), and the test needs, per
    arm, sum b_u(k), sum b_u(k)^2 and sum b_u(k) n_u (n_u: the unit's latencies in the window).
    b_u(k) is a cumulative count over buckets and a square of a window total is a sum over pairs
    of days (as in arm_day_pair_statistics), so each row holds the INCREMENT at its bucket of
    - generation_count, latency_min_ms, latency_max_ms: diagonal rows only (0 / null off it): the
      day's latencies in the bucket, their smallest and largest (the day's histogram, per arm);
    - below_pair_products: sum over units of b_u,d1(k) b_u,d2(k) (both orders off the diagonal);
    - below_total_products: sum over units of b_u,d1(k) n_u,d2 (+ b_u,d2(k) n_u,d1 off the
      diagonal);
    so a window's sum b_u(k)^2 is the sum of the rows with both days in the window and a bucket
    <= k (and n_u^2 the same over every bucket). Exact integers in float8 (below 2^53).

    Computed per unit and pair of its days (d1 >= d2), whose increments sit only at the buckets
    where either day has a latency: each of the unit's (day, bucket) rows is paired with each of
    the unit's days as the pair's other side (a unit's bucket rows x its days, where an earlier
    version paired every two bucket rows: (bucket rows)^2, quadratic in a unit's latencies), the
    two sides' counts c1(k), c2(k) summed per (unit, d1, d2, bucket), then their running sums
    over the buckets B1(k), B2(k) (a window per unit and pair of days) give the increment
    B1(k) B2(k) - B1(k-1) B2(k-1); below_total_products is c1(k) n2 (+ c2(k) n1), no running sum.
    The rows are identical to the pairwise version's (exact integers), compared with EXCEPT both
    ways on the 1M demo. Cost (BENCHMARKS.md "arm_day_pair_latency_buckets in linear time"):
    about equal at the 1M demo, whose units have ~1.5 bucket rows a day (there bucket rows x
    days ~ (bucket rows)^2 / 2), and growing with a unit's latencies x days instead of their
    square (measured with units of 3x and 9x the latencies).

    Incremental by day (replace_days on both day columns), like arm_day_pair_statistics: the
    pairs with a rebuilt day are computed again from the units that had a generation on a rebuilt
    day (each such unit's generations of every day); every day on a full refresh. On Spark the
    table is partitioned by metric_date (partition_by) and a build writes whole partitions:
    every pair whose metric_date is on or after the earliest rebuilt day (macro
    pair_day_recomputed), as for arm_day_pair_statistics.
#}
{{
    config(
        materialized='incremental',
        incremental_strategy='replace_days',
        unique_key=['metric_date', 'paired_metric_date'],
        partition_by='metric_date',
        replace_days_of_new_rows=true,
        on_schema_change='fail',
        indexes=[
            {'columns': ['experiment_id', 'variant_id', 'metric_date', 'paired_metric_date']},
            {'columns': ['paired_metric_date']},
        ],
    )
}}

-- depends_on: {{ ref('int_event_log_days') }}
{%- set every_day = not is_incremental() or event_log_rebuilds_everything() %}

with

generations as {{ cte_not_materialized() }} (

    select * from {{ ref('generations') }}

),

{% if every_day %}

    measured_generations as (

        select
            experiment_id,
            variant_id,
            unit_id,
            generated_date as metric_date,
            latency_ms

        from generations

        where latency_ms is not null

    ),

{% else %}

    {#- the units with a generation on a rebuilt day, with all their generations -#}
    touched_units as (

        select distinct
            experiment_id,
            variant_id,
            unit_id

        from generations

        where {{ pair_day_recomputed('generated_date') }}

    ),

    measured_generations as (

        select
            generations.experiment_id,
            generations.variant_id,
            generations.unit_id,
            generations.generated_date as metric_date,
            generations.latency_ms

        from touched_units
        inner join generations
            on
                touched_units.experiment_id = generations.experiment_id
                and touched_units.variant_id = generations.variant_id
                and touched_units.unit_id = generations.unit_id

        where generations.latency_ms is not null

    ),

{% endif %}

{#- On a full refresh not materialized (every generation: PostgreSQL would copy them all first);
    on an incremental build (the touched units' generations) computed once and read three times:
    inlined, the touched units and their generations were found again by each reader (10M
    events: BENCHMARKS.md "Incremental cost against the history's size") #}
unit_day_buckets as {% if every_day %}{{ cte_not_materialized() }}{% endif %} (

    select
        experiment_id,
        variant_id,
        unit_id,
        metric_date,
        {{ latency_histogram_bucket('latency_ms') }} as latency_bucket,
        cast(count(*) as {{ sql_type('double precision') }}) as bucket_count,
        min(latency_ms) as latency_min_ms,
        max(latency_ms) as latency_max_ms

    from measured_generations

    group by 1, 2, 3, 4, 5

),

{# a unit's latencies per day (n_u,d) #}
unit_days as (

    select
        experiment_id,
        variant_id,
        unit_id,
        metric_date,
        sum(bucket_count) as day_count

    from unit_day_buckets

    group by 1, 2, 3, 4

),

{# each bucket row of a unit's day paired with each day of the unit as the pair's other day:
    a unit's bucket rows x its days, not its bucket rows^2. The row's count is the later day's
    (c1) when its day is the later one, the earlier day's (c2) when it is the earlier one, both
    on the diagonal; times the other day's latencies, it is the row's share of
    below_total_products (c1(k) n2 and c2(k) n1, c(k) n on the diagonal) #}
unit_pair_sides as (

    select
        buckets.experiment_id,
        buckets.variant_id,
        buckets.unit_id,
        greatest(buckets.metric_date, other_days.metric_date) as metric_date,
        least(buckets.metric_date, other_days.metric_date) as paired_metric_date,
        buckets.latency_bucket,
        case when buckets.metric_date >= other_days.metric_date then buckets.bucket_count else 0.0 end
            as later_count,
        case when buckets.metric_date <= other_days.metric_date then buckets.bucket_count else 0.0 end
            as earlier_count,
        buckets.bucket_count * other_days.day_count as below_total_products

    from unit_day_buckets as buckets
    inner join unit_days as other_days
        on
            buckets.experiment_id = other_days.experiment_id
            and buckets.variant_id = other_days.variant_id
            and buckets.unit_id = other_days.unit_id

    {% if not every_day %}
        {#- only the pairs with a rebuilt day: the other pairs' rows stay -#}
        where
            {{ pair_day_recomputed('buckets.metric_date') }}
            or {{ pair_day_recomputed('other_days.metric_date') }}
    {% endif %}

),

{# per unit, pair of days and bucket where either day has a latency: the two days' counts
    c1(k), c2(k) and their running sums over the buckets B1(k), B2(k), the unit's latencies of
    each day at or below bucket k #}
unit_pair_buckets as (

    select
        experiment_id,
        variant_id,
        unit_id,
        metric_date,
        paired_metric_date,
        latency_bucket,
        sum(later_count) as later_count,
        sum(earlier_count) as earlier_count,
        sum(below_total_products) as below_total_products

    from unit_pair_sides

    group by 1, 2, 3, 4, 5, 6

),

unit_pair_cumulated as (

    select
        experiment_id,
        variant_id,
        metric_date,
        paired_metric_date,
        latency_bucket,
        later_count,
        earlier_count,
        below_total_products,
        sum(later_count) over (
            partition by experiment_id, variant_id, unit_id, metric_date, paired_metric_date
            order by latency_bucket
            rows between unbounded preceding and current row
        ) as later_below_count,
        sum(earlier_count) over (
            partition by experiment_id, variant_id, unit_id, metric_date, paired_metric_date
            order by latency_bucket
            rows between unbounded preceding and current row
        ) as earlier_below_count

    from unit_pair_buckets

),

{# b1(k) b2(k) counts the unit's latency pairs with BOTH latencies at or below k: its increment
    at k is B1(k) B2(k) - B1(k-1) B2(k-1) (both orders off the diagonal); summed over the arm's
    units per pair of days and bucket, with below_total_products (exact integers in float8) #}
pair_sums as (

    select
        experiment_id,
        variant_id,
        metric_date,
        paired_metric_date,
        latency_bucket,
        sum(
            (
                later_below_count * earlier_below_count
                - (later_below_count - later_count) * (earlier_below_count - earlier_count)
            )
            * case when metric_date = paired_metric_date then 1.0 else 2.0 end
        ) as below_pair_products,
        sum(below_total_products) as below_total_products

    from unit_pair_cumulated

    group by 1, 2, 3, 4, 5

),

{# the diagonal rows' histogram: the day's latencies per bucket #}
day_histograms as (

    select
        experiment_id,
        variant_id,
        metric_date,
        latency_bucket,
        cast(sum(bucket_count) as {{ sql_type('bigint') }}) as generation_count,
        min(latency_min_ms) as latency_min_ms,
        max(latency_max_ms) as latency_max_ms

    from unit_day_buckets

    {% if not every_day %}
        where {{ pair_day_recomputed('metric_date') }}
    {% endif %}

    group by 1, 2, 3, 4

),

arm_day_pair_latency_buckets as (

    select
        pair_sums.experiment_id,
        pair_sums.variant_id,
        pair_sums.metric_date,
        pair_sums.paired_metric_date,
        pair_sums.latency_bucket,
        coalesce(day_histograms.generation_count, 0) as generation_count,
        day_histograms.latency_min_ms,
        day_histograms.latency_max_ms,
        pair_sums.below_pair_products,
        pair_sums.below_total_products

    from pair_sums
    left join day_histograms
        on
            pair_sums.experiment_id = day_histograms.experiment_id
            and pair_sums.variant_id = day_histograms.variant_id
            and pair_sums.metric_date = day_histograms.metric_date
            and pair_sums.paired_metric_date = day_histograms.metric_date
            and pair_sums.latency_bucket = day_histograms.latency_bucket

)

select * from arm_day_pair_latency_buckets
