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

    Computed from every pair of a unit's (day, bucket) rows (no sort, one hash aggregate): the
    cost is the sum over units of (bucket rows)^2, quadratic in a unit's latencies; a day's
    diagonal row is at every bucket where a unit had a latency that day (the day's histogram).

    Incremental by day (replace_days on both day columns), like arm_day_pair_statistics: the
    pairs with a rebuilt day are computed again from the units that had a generation on a rebuilt
    day (each such unit's generations of every day); every day on a full refresh.
#}{#- not ported to Spark yet: rebuilt in full there (README "Running on Apache Spark") -#}
{%- set replaces_days = arm_day_statistics_replace_days() -%}
{{
    config(
        materialized='incremental' if replaces_days else 'table',
        incremental_strategy='replace_days' if replaces_days else none,
        unique_key=['metric_date', 'paired_metric_date'] if replaces_days else none,
        replace_days_of_new_rows=replaces_days,
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

        where generated_date in {{ rebuilt_days() }}

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

unit_day_buckets as {{ cte_not_materialized() }} (

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

{# every pair of a unit's bucket rows, the later day's first (on one day: every ordered pair,
    a row with itself included): c1 x c2 latencies pairs #}
unit_bucket_pairs as (

    select
        later_buckets.experiment_id,
        later_buckets.variant_id,
        later_buckets.metric_date,
        earlier_buckets.metric_date as paired_metric_date,
        later_buckets.latency_bucket as later_bucket,
        earlier_buckets.latency_bucket as earlier_bucket,
        later_buckets.bucket_count * earlier_buckets.bucket_count as pair_count

    from unit_day_buckets as later_buckets
    inner join unit_day_buckets as earlier_buckets
        on
            later_buckets.experiment_id = earlier_buckets.experiment_id
            and later_buckets.variant_id = earlier_buckets.variant_id
            and later_buckets.unit_id = earlier_buckets.unit_id
            and later_buckets.metric_date >= earlier_buckets.metric_date

    {% if not every_day %}
        {#- only the pairs with a rebuilt day: the other pairs' rows stay -#}
        where
            later_buckets.metric_date in {{ rebuilt_days() }}
            or earlier_buckets.metric_date in {{ rebuilt_days() }}
    {% endif %}

),

{# b1(k) b2(k) counts the latency pairs with BOTH latencies at or below k: its increment sits
    at the higher of the two buckets (both orders off the diagonal); b1(k) n2 counts the pairs
    whose first latency is at or below k (and b2(k) n1 the second's, off the diagonal) #}
pair_increments as (

    select
        experiment_id,
        variant_id,
        metric_date,
        paired_metric_date,
        greatest(later_bucket, earlier_bucket) as latency_bucket,
        pair_count * case when metric_date = paired_metric_date then 1.0 else 2.0 end as below_pair_products,
        0.0 as below_total_products
    from unit_bucket_pairs

    union all

    select
        experiment_id,
        variant_id,
        metric_date,
        paired_metric_date,
        later_bucket as latency_bucket,
        0.0 as below_pair_products,
        pair_count as below_total_products
    from unit_bucket_pairs

    union all

    select
        experiment_id,
        variant_id,
        metric_date,
        paired_metric_date,
        earlier_bucket as latency_bucket,
        0.0 as below_pair_products,
        pair_count as below_total_products
    from unit_bucket_pairs
    where metric_date > paired_metric_date

),

pair_sums as (

    select
        experiment_id,
        variant_id,
        metric_date,
        paired_metric_date,
        latency_bucket,
        sum(below_pair_products) as below_pair_products,
        sum(below_total_products) as below_total_products

    from pair_increments

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
        where metric_date in {{ rebuilt_days() }}
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
