-- Assertion: every row of exp.metric_aggregates matches the events the pipeline could see when
-- it computed the row (received_at <= computed_at): `count` is the number of generations that
-- occurred in the bucket (UTC hour or day), and for the metrics with a per-generation value
-- (acceptance_rate, edit_count, latency_ms, tokens_per_request, constraint_respect_score,
-- alignment_score, diversity_score) `mean` and `variance` (sample variance) equal those of the
-- values, within a relative float tolerance of 1e-6. Percentile metrics (latency_pNN) and
-- other metric names are checked on count only. Returns the rows that do not reconcile.
{% set tolerance = 0.000001 %}

with

metric_aggregates as (

    select * from {{ ref('stg_exp__metric_aggregates') }}

),

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
events as not materialized (

    select * from {{ ref('stg_exp__events') }}

),

generation_events as (

    select * from events

    where event_type = 'generation'

),

outcome_events as (

    select * from events

    where event_type <> 'generation'

),

buckets as (

    select distinct
        bucket_type,
        bucket_started_at,
        experiment_id,
        variant_id,
        computed_at

    from metric_aggregates

),

generations_in_buckets as (

    select
        'hourly' as bucket_type,
        date_trunc('hour', occurred_at at time zone 'UTC') at time zone 'UTC' as bucket_started_at,
        request_id,
        experiment_id,
        variant_id,
        received_at,
        latency_ms,
        prompt_tokens + completion_tokens as total_tokens,
        constraint_respect_score,
        alignment_score,
        diversity_score

    from generation_events

    union all

    select
        'daily' as bucket_type,
        date_trunc('day', occurred_at at time zone 'UTC') at time zone 'UTC' as bucket_started_at,
        request_id,
        experiment_id,
        variant_id,
        received_at,
        latency_ms,
        prompt_tokens + completion_tokens as total_tokens,
        constraint_respect_score,
        alignment_score,
        diversity_score

    from generation_events

),

generations_visible_to_buckets as (

    select
        buckets.bucket_type,
        buckets.bucket_started_at,
        buckets.experiment_id,
        buckets.variant_id,
        case
            when outcome_events.event_type in ('accepted', 'edited') then 1.0 else 0.0
        end::double precision as accepted_value,
        coalesce(outcome_events.edit_count, 0)::double precision as edit_count_value,
        generations_in_buckets.latency_ms,
        generations_in_buckets.total_tokens::double precision as total_tokens,
        generations_in_buckets.constraint_respect_score,
        generations_in_buckets.alignment_score,
        generations_in_buckets.diversity_score

    from buckets
    inner join generations_in_buckets
        on
            buckets.bucket_type = generations_in_buckets.bucket_type
            and buckets.bucket_started_at = generations_in_buckets.bucket_started_at
            and buckets.experiment_id = generations_in_buckets.experiment_id
            and buckets.variant_id = generations_in_buckets.variant_id
            and buckets.computed_at >= generations_in_buckets.received_at
    left join outcome_events
        on
            generations_in_buckets.request_id = outcome_events.request_id
            and buckets.computed_at >= outcome_events.received_at

),

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

recomputed_metrics as (

    select
        recomputed_buckets.bucket_type,
        recomputed_buckets.bucket_started_at,
        recomputed_buckets.experiment_id,
        recomputed_buckets.variant_id,
        recomputed_buckets.generation_count,
        metric_values.metric_name,
        metric_values.recomputed_mean,
        metric_values.recomputed_variance

    from recomputed_buckets
    cross join lateral (
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
    ) as metric_values (metric_name, recomputed_mean, recomputed_variance)

),

metrics_compared as (

    select
        metric_aggregates.bucket_type,
        metric_aggregates.bucket_started_at,
        metric_aggregates.experiment_id,
        metric_aggregates.variant_id,
        metric_aggregates.metric_name,
        metric_aggregates.metric_count,
        coalesce(recomputed_buckets.generation_count, 0) as recomputed_count,
        metric_aggregates.metric_mean,
        recomputed_metrics.recomputed_mean,
        metric_aggregates.metric_variance,
        recomputed_metrics.recomputed_variance

    from metric_aggregates
    left join recomputed_buckets
        on
            metric_aggregates.bucket_type = recomputed_buckets.bucket_type
            and metric_aggregates.bucket_started_at = recomputed_buckets.bucket_started_at
            and metric_aggregates.experiment_id = recomputed_buckets.experiment_id
            and metric_aggregates.variant_id = recomputed_buckets.variant_id
    left join recomputed_metrics
        on
            metric_aggregates.bucket_type = recomputed_metrics.bucket_type
            and metric_aggregates.bucket_started_at = recomputed_metrics.bucket_started_at
            and metric_aggregates.experiment_id = recomputed_metrics.experiment_id
            and metric_aggregates.variant_id = recomputed_metrics.variant_id
            and metric_aggregates.metric_name = recomputed_metrics.metric_name

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
