-- Assertion: every row of exp.metric_aggregates matches the events the pipeline could see when
-- it computed the row (received_at <= computed_at): `count` is the number of generations that
-- occurred in the bucket (UTC hour or day), and for the metrics with a per-generation value
-- (acceptance_rate, edit_count, latency_ms, tokens_per_request, constraint_respect_score,
-- alignment_score, diversity_score) `mean` and `variance` (sample variance) equal those of the
-- values, within a relative float tolerance of 1e-6. Percentile metrics (latency_pNN) and
-- other metric names are checked on count only. Returns the rows that do not reconcile.
{#
    One pass over the `generations` mart (each generation already joined to its outcome, the
    same request_id join as the upstream pipeline's): every generation counts in its hourly
    and its daily bucket, joined to the few distinct buckets of each kind on integer and
    timestamp keys (no text key to sort: that sort was the test's cost at 1M events). The generation was visible to the bucket when
    generation_received_at <= computed_at; its outcome too when, in addition,
    last_received_at <= computed_at (last_received_at is the later of the two receipts).
    On an incremental build only the aggregate rows of the days the build rebuilt are checked
    (macros/event_log/tested_rows.sql: a day rebuilds when its events or aggregates changed).
    A bucket holding a quarantined event is not checked: the upstream pipeline counted an event
    the marts leave out, and event_quarantine reports that event.
#}
{% set tolerance = 0.000001 %}

with

metric_aggregates as (

    select * from {{ ref('stg_exp__metric_aggregates') }}

),

generations as (

    select * from {{ ref('generations') }}

),

event_quarantine as (

    select * from {{ ref('event_quarantine') }}

),

quarantined_buckets as (

    select distinct
        quarantined_event_times.experiment_id,
        quarantined_event_times.variant_id,
        date_trunc('hour', quarantined_event_times.occurred_at, 'UTC') as hour_started_at,
        date_trunc('day', quarantined_event_times.occurred_at, 'UTC') as day_started_at

    from (
        select
            event_quarantine.experiment_id,
            event_quarantine.variant_id,
            event_quarantine.occurred_at

        from event_quarantine

        union all

        {# a quarantined outcome changes its generation's bucket #}
        select
            generations.experiment_id,
            generations.variant_id,
            generations.generated_at as occurred_at

        from event_quarantine
        inner join generations
            on event_quarantine.request_id = generations.request_id
    ) as quarantined_event_times

),

metric_aggregates_to_check as (

    select metric_aggregates.*

    from metric_aggregates

    where
        {{ rebuilt_rows_only('metric_aggregates.bucket_start_date') }}
        and not exists (
            select 1
            from quarantined_buckets
            where
                quarantined_buckets.experiment_id = metric_aggregates.experiment_id
                and quarantined_buckets.variant_id = metric_aggregates.variant_id
                and (
                    (
                        metric_aggregates.bucket_type = 'hourly'
                        and quarantined_buckets.hour_started_at = metric_aggregates.bucket_started_at
                    )
                    or (
                        metric_aggregates.bucket_type = 'daily'
                        and quarantined_buckets.day_started_at = metric_aggregates.bucket_started_at
                    )
                )
        )

),

{# one row per bucket (its rows share computed_at); each generation meets at most one bucket of
   each type, joined on integer and timestamp keys: the hour it occurred in for an hourly
   bucket, its UTC day for a daily one #}
{%- set bucket_types = [
    {'bucket_type': 'hourly', 'generation_key': 'hour_started_at', 'bucket_key': 'bucket_started_at'},
    {'bucket_type': 'daily', 'generation_key': 'generated_date', 'bucket_key': 'bucket_start_date'},
] %}
buckets as (

    select distinct
        bucket_type,
        bucket_start_date,
        bucket_started_at,
        experiment_id,
        variant_id,
        computed_at

    from metric_aggregates_to_check

),

generations_in_scope as (

    select
        experiment_id,
        variant_id,
        date_trunc('hour', generated_at, 'UTC') as hour_started_at,
        generated_date,
        generation_received_at,
        last_received_at,
        is_accepted,
        edit_count,
        latency_ms,
        total_tokens::double precision as total_tokens,
        constraint_respect_score,
        alignment_score,
        diversity_score

    from generations

    where
        generated_date >= (
            select min(metric_aggregates_to_check.bucket_start_date)
            from metric_aggregates_to_check
        )

),

-- noqa: disable=LT02
{# (LT02: sqlfluff cannot place the indentation of a union generated by a jinja loop.) #}
generations_visible_to_buckets as (
    {%- for type in bucket_types %}

    select
        buckets.bucket_type,
        buckets.bucket_started_at,
        generations_in_scope.experiment_id,
        generations_in_scope.variant_id,
        case
            when
                generations_in_scope.last_received_at <= buckets.computed_at
                and generations_in_scope.is_accepted
                then 1.0
            else 0.0
        end::double precision as accepted_value,
        case
            when generations_in_scope.last_received_at <= buckets.computed_at
                then generations_in_scope.edit_count
            else 0
        end::double precision as edit_count_value,
        generations_in_scope.latency_ms,
        generations_in_scope.total_tokens,
        generations_in_scope.constraint_respect_score,
        generations_in_scope.alignment_score,
        generations_in_scope.diversity_score

    from generations_in_scope
    inner join buckets
        on
            buckets.bucket_type = '{{ type.bucket_type }}'
            and generations_in_scope.experiment_id = buckets.experiment_id
            and generations_in_scope.variant_id = buckets.variant_id
            and generations_in_scope.{{ type.generation_key }} = buckets.{{ type.bucket_key }}
            and generations_in_scope.generation_received_at <= buckets.computed_at
    {%- if not loop.last %}

    union all
    {%- endif %}
    {%- endfor %}

),

-- noqa: enable=LT02
recomputed_buckets as (

    select
        bucket_type,
        bucket_started_at,
        experiment_id,
        variant_id,
        count(*) as generation_count,
        avg(accepted_value) as acceptance_mean,
        var_samp(accepted_value) as acceptance_variance,
        avg(edit_count_value) as edit_count_mean,
        var_samp(edit_count_value) as edit_count_variance,
        avg(latency_ms) as latency_mean,
        var_samp(latency_ms) as latency_variance,
        avg(total_tokens) as tokens_mean,
        var_samp(total_tokens) as tokens_variance,
        avg(constraint_respect_score) as constraint_respect_mean,
        var_samp(constraint_respect_score) as constraint_respect_variance,
        avg(alignment_score) as alignment_mean,
        var_samp(alignment_score) as alignment_variance,
        avg(diversity_score) as diversity_mean,
        var_samp(diversity_score) as diversity_variance

    from generations_visible_to_buckets

    group by 1, 2, 3, 4

),

metrics_compared as (

    select
        metric_aggregates_to_check.bucket_type,
        metric_aggregates_to_check.bucket_started_at,
        metric_aggregates_to_check.experiment_id,
        metric_aggregates_to_check.variant_id,
        metric_aggregates_to_check.metric_name,
        metric_aggregates_to_check.metric_count,
        coalesce(recomputed_buckets.generation_count, 0) as recomputed_count,
        metric_aggregates_to_check.metric_mean,
        recomputed_metrics.recomputed_mean,
        metric_aggregates_to_check.metric_variance,
        recomputed_metrics.recomputed_variance

    from metric_aggregates_to_check
    left join recomputed_buckets
        on
            metric_aggregates_to_check.bucket_type = recomputed_buckets.bucket_type
            and metric_aggregates_to_check.bucket_started_at = recomputed_buckets.bucket_started_at
            and metric_aggregates_to_check.experiment_id = recomputed_buckets.experiment_id
            and metric_aggregates_to_check.variant_id = recomputed_buckets.variant_id
    left join
        lateral (
            values
            ('acceptance_rate', recomputed_buckets.acceptance_mean, recomputed_buckets.acceptance_variance),
            ('edit_count', recomputed_buckets.edit_count_mean, recomputed_buckets.edit_count_variance),
            ('latency_ms', recomputed_buckets.latency_mean, recomputed_buckets.latency_variance),
            ('tokens_per_request', recomputed_buckets.tokens_mean, recomputed_buckets.tokens_variance),
            (
                'constraint_respect_score',
                recomputed_buckets.constraint_respect_mean,
                recomputed_buckets.constraint_respect_variance
            ),
            ('alignment_score', recomputed_buckets.alignment_mean, recomputed_buckets.alignment_variance),
            ('diversity_score', recomputed_buckets.diversity_mean, recomputed_buckets.diversity_variance)
        ) as recomputed_metrics (metric_name, recomputed_mean, recomputed_variance)
        on metric_aggregates_to_check.metric_name = recomputed_metrics.metric_name

)

select * from metrics_compared

where
    metric_count <> recomputed_count
    or (
        recomputed_mean is not null
        and (
            metric_mean is null
            or abs(metric_mean - recomputed_mean)
            > {{ tolerance }} * greatest(1, abs(recomputed_mean))
        )
    )
    or (
        recomputed_variance is not null
        and metric_variance is not null
        and abs(metric_variance - recomputed_variance)
        > {{ tolerance }} * greatest(1, abs(recomputed_variance))
    )
