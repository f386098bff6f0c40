-- Assertion: every row of exp.metric_aggregates matches the events the pipeline could see when
-- it computed the row (received_at <= computed_at): `count` is the number of generations that
-- occurred in the bucket, and for the metrics with a per-generation value below, `mean` and
-- `variance` (sample variance) equal those of the values, within a relative float tolerance of
-- 1e-6. Percentile metrics (latency_pNN) and unknown metric names are checked on count only.
-- Returns the rows that do not reconcile.
{% set tolerance = 0.000001 %}

with

metric_aggregates as (

    select * from {{ ref('stg_exp__metric_aggregates') }}

),

events as (

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

    select
        metric_aggregates.*,
        metric_aggregates.bucket_started_at + case metric_aggregates.bucket_type
            when 'hourly' then interval '1 hour'
            else interval '1 day'
        end as bucket_ended_at

    from metric_aggregates

),

generations_visible_to_buckets as (

    select
        buckets.bucket_type,
        buckets.bucket_started_at,
        buckets.experiment_id,
        buckets.variant_id,
        buckets.metric_name,
        case
            when buckets.metric_name = 'acceptance_rate'
                then
                    case
                        when outcome_events.event_type in ('accepted', 'edited') then 1.0
                        else 0.0
                    end
            when buckets.metric_name in ('edit_count', 'edits_per_generation')
                then coalesce(outcome_events.edit_count, 0)
            when buckets.metric_name in ('latency_ms', 'mean_latency_ms')
                then generation_events.latency_ms
            when buckets.metric_name in ('tokens_per_request', 'total_tokens')
                then generation_events.prompt_tokens + generation_events.completion_tokens
            when buckets.metric_name = 'prompt_tokens' then generation_events.prompt_tokens
            when buckets.metric_name = 'completion_tokens' then generation_events.completion_tokens
            when buckets.metric_name = 'constraint_respect_score'
                then generation_events.constraint_respect_score
            when buckets.metric_name = 'alignment_score' then generation_events.alignment_score
            when buckets.metric_name = 'diversity_score' then generation_events.diversity_score
        end::double precision as generation_value

    from buckets
    inner join generation_events
        on
            buckets.experiment_id = generation_events.experiment_id
            and buckets.variant_id = generation_events.variant_id
            and buckets.bucket_started_at <= generation_events.occurred_at
            and buckets.bucket_ended_at > generation_events.occurred_at
            and buckets.computed_at >= generation_events.received_at
    left join outcome_events
        on
            generation_events.request_id = outcome_events.request_id
            and buckets.computed_at >= outcome_events.received_at

),

recomputed_buckets as (

    select
        bucket_type,
        bucket_started_at,
        experiment_id,
        variant_id,
        metric_name,
        count(*) as recomputed_count,
        avg(generation_value) as recomputed_mean,
        var_samp(generation_value) as recomputed_variance

    from generations_visible_to_buckets

    group by 1, 2, 3, 4, 5

),

buckets_compared as (

    select
        buckets.bucket_type,
        buckets.bucket_started_at,
        buckets.experiment_id,
        buckets.variant_id,
        buckets.metric_name,
        buckets.metric_count,
        coalesce(recomputed_buckets.recomputed_count, 0) as recomputed_count,
        buckets.metric_mean,
        recomputed_buckets.recomputed_mean,
        buckets.metric_variance,
        recomputed_buckets.recomputed_variance

    from buckets
    left join recomputed_buckets
        on
            buckets.bucket_type = recomputed_buckets.bucket_type
            and buckets.bucket_started_at = recomputed_buckets.bucket_started_at
            and buckets.experiment_id = recomputed_buckets.experiment_id
            and buckets.variant_id = recomputed_buckets.variant_id
            and buckets.metric_name = recomputed_buckets.metric_name

)

select * from buckets_compared

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
