{#
    The batch of events this build processes, each checked against the quarantine rules
    (macro quarantine_rules): quarantine_rule is the first rule it breaks, null when it keeps
    them all. Copies of one event (same id, same content; a re-delivery or a replay) are one
    event, received when its first copy was.

    On an incremental build the batch holds the events of the days int_event_log_days rebuilds
    (is_in_rebuilt_days), plus, as context for the rules, every event sharing a request_id
    with them and every event sharing an id with those (found through the source's indexes on
    request_id and id): a rule that compares an event with others (a reused id or request id,
    an outcome's generation) sees all of history. On a full rebuild: every event.
#}
{{ config(materialized='table', post_hook='{{ analyze_table(this) }}') }}

-- depends_on: {{ ref('int_event_log_days') }}
{%- set rebuild_everything = event_log_rebuilds_everything() %}

with

{# not materialized: read more than once, PostgreSQL would otherwise copy the whole log first #}
events as {{ cte_not_materialized() }} (

    select * from {{ ref('stg_exp__events') }}

),

experiments as (

    select * from {{ ref('stg_exp__experiments') }}

),

variants as (

    select * from {{ ref('stg_exp__variants') }}

),

policy_versions as (

    select * from {{ ref('stg_exp__policy_versions') }}

),

{% if rebuild_everything %}

    batch_events as (

        select
            *,
            true as is_in_rebuilt_days

        from events

    ),

{% else %}

    rebuilt_days as (

        select occurred_date from {{ ref('int_event_log_days') }}

        where is_rebuilt

    ),

    rebuilt_day_events as (

        select events.*

        from rebuilt_days
        inner join events
            on
                events.occurred_at >= {{ utc_day_start('rebuilt_days.occurred_date') }}
                and events.occurred_at < {{ utc_day_start('rebuilt_days.occurred_date + 1') }}

    ),

    request_neighbours as (

        select * from events

        where request_id in (select rebuilt_day_events.request_id from rebuilt_day_events)

    ),

    id_neighbours as (

        select * from events

        where
            event_id in (
                select rebuilt_day_events.event_id from rebuilt_day_events
                union all
                select request_neighbours.event_id from request_neighbours
            )

    ),

    batch_events as (

        select
            *,
            occurred_date in (select rebuilt_days.occurred_date from rebuilt_days) as is_in_rebuilt_days

        from (
            select * from rebuilt_day_events
            union
            select * from request_neighbours
            union
            select * from id_neighbours
        ) as neighbourhood

    ),

{% endif %}

batch_events_hashed as (

    select
        *,
        {{ text_hash64(values_text([
            'event_type', 'experiment_id', 'variant_id', 'unit_id', 'request_id', 'occurred_at',
            'policy_version_id', 'latency_ms', 'prompt_tokens', 'completion_tokens',
            'constraint_respect_score', 'alignment_score', 'diversity_score', 'edit_count',
        ])) }} as content_hash

    from batch_events

),

event_copies_collapsed as (

    {{ first_row_per('batch_events_hashed', ['event_id', 'content_hash'], ['received_at asc']) }}

),

events_with_context as (

    select
        event_copies_collapsed.*,
        row_number() over (
            partition by event_copies_collapsed.event_id
            order by event_copies_collapsed.received_at asc, event_copies_collapsed.content_hash asc
        ) as event_id_rank,
        experiments.experiment_id is not null as is_experiment_known,
        experiments.status = 'active' and experiments.started_at is null as is_experiment_unstarted_active,
        variants.variant_id is not null as is_variant_known,
        variants.experiment_id as variant_experiment_id,
        policy_versions.policy_version_id is not null as is_policy_version_known

    from event_copies_collapsed
    left join experiments
        on event_copies_collapsed.experiment_id = experiments.experiment_id
    left join variants
        on event_copies_collapsed.variant_id = variants.variant_id
    left join policy_versions
        on event_copies_collapsed.policy_version_id = policy_versions.policy_version_id

),

events_checked_alone as (

    select
        *,
        case
            when event_id is null then 'event_id_missing'
            when event_id_rank > 1 then 'event_id_reused'
            when event_type is null or event_type not in ('generation', 'accepted', 'edited', 'rejected')
                then 'event_type_unknown'
            when request_id is null then 'request_id_missing'
            when unit_id is null then 'unit_id_missing'
            when not is_experiment_known then 'experiment_unknown'
            when not is_variant_known then 'variant_unknown'
            when variant_experiment_id <> experiment_id then 'variant_of_another_experiment'
            when is_experiment_unstarted_active then 'experiment_active_without_started_at'
            when received_at > {{ event_clock_limit() }} then 'received_in_future'
            when occurred_at > {{ event_clock_limit() }} then 'occurred_in_future'
            when received_at < occurred_at then 'received_before_occurred'
            when event_type = 'generation' and policy_version_id is null then 'generation_without_policy_version'
            when policy_version_id is not null and not is_policy_version_known then 'policy_version_unknown'
            when event_type = 'generation' and latency_ms is null then 'generation_without_latency'
            when latency_ms < 0 then 'latency_negative'
            when prompt_tokens < 0 or completion_tokens < 0 then 'token_count_negative'
            when
                constraint_respect_score not between 0 and 1
                or alignment_score not between 0 and 1
                or diversity_score not between 0 and 1
                then 'score_out_of_range'
            when event_type = 'edited' and edit_count is null then 'edited_without_edit_count'
            when edit_count < 1 then 'edit_count_below_one'
        end as row_rule

    from events_with_context

),

events_ranked_in_requests as (

    select
        *,
        case
            when row_rule is null
                then row_number() over (
                    partition by request_id, event_type = 'generation', row_rule is null
                    order by received_at asc, event_id asc
                )
        end as request_rank

    from events_checked_alone

),

kept_generations as (

    select
        request_id,
        experiment_id,
        variant_id,
        unit_id,
        occurred_at

    from events_ranked_in_requests

    where
        event_type = 'generation'
        and row_rule is null
        and request_rank = 1

),

quarantined_generation_requests as (

    select distinct request_id

    from events_ranked_in_requests

    where
        event_type = 'generation'
        and (row_rule is not null or request_rank > 1)

),

events_checked as (

    select
        events_ranked_in_requests.event_id,
        events_ranked_in_requests.event_type,
        events_ranked_in_requests.experiment_id,
        events_ranked_in_requests.variant_id,
        events_ranked_in_requests.unit_id,
        events_ranked_in_requests.request_id,
        events_ranked_in_requests.policy_version_id,
        events_ranked_in_requests.latency_ms,
        events_ranked_in_requests.prompt_tokens,
        events_ranked_in_requests.completion_tokens,
        events_ranked_in_requests.constraint_respect_score,
        events_ranked_in_requests.alignment_score,
        events_ranked_in_requests.diversity_score,
        events_ranked_in_requests.edit_count,
        case
            when events_ranked_in_requests.row_rule is not null then events_ranked_in_requests.row_rule
            when events_ranked_in_requests.request_rank > 1 and events_ranked_in_requests.event_type = 'generation'
                then 'request_id_reused_by_another_generation'
            when events_ranked_in_requests.request_rank > 1 then 'second_outcome_for_request'
            when events_ranked_in_requests.event_type = 'generation' then null
            when kept_generations.request_id is null and quarantined_generation_requests.request_id is not null
                then 'outcome_of_quarantined_generation'
            when
                kept_generations.request_id is null
                or kept_generations.experiment_id <> events_ranked_in_requests.experiment_id
                or kept_generations.variant_id <> events_ranked_in_requests.variant_id
                or kept_generations.unit_id <> events_ranked_in_requests.unit_id
                then 'outcome_without_generation'
            when events_ranked_in_requests.occurred_at < kept_generations.occurred_at
                then 'outcome_before_generation'
        end as quarantine_rule,
        events_ranked_in_requests.is_in_rebuilt_days,
        events_ranked_in_requests.occurred_date,
        events_ranked_in_requests.occurred_at,
        events_ranked_in_requests.received_at

    from events_ranked_in_requests
    left join kept_generations
        on events_ranked_in_requests.request_id = kept_generations.request_id
    left join quarantined_generation_requests
        on events_ranked_in_requests.request_id = quarantined_generation_requests.request_id

)

select * from events_checked
