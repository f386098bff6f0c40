{#
    The rules an event of exp.events must keep to reach the marts, in the order they are
    checked (an event is quarantined under the first rule it breaks), each with what it means.
    int_events_checked applies them; event_quarantine reports the events that broke one; the
    warning tests in models/marts/data_quality/_data_quality__models.yml name each rule.
#}
{% macro quarantine_rules() %}
    {{ return([
        ('event_id_missing', 'the event has no id'),
        ('event_id_reused', 'another event (different content) was received first under the same id'),
        ('event_type_unknown', 'event_type is not generation, accepted, edited or rejected'),
        ('request_id_missing', 'the event has no request_id'),
        ('unit_id_missing', 'the event has no unit_id'),
        ('experiment_unknown', 'experiment_id is not an experiment of exp.experiments'),
        ('variant_unknown', 'variant_id is not a variant of exp.variants'),
        ('variant_of_another_experiment', "the variant belongs to another experiment than the event's"),
        ('experiment_active_without_started_at', "the event's experiment is active but has no started_at"),
        ('received_in_future', 'received_at lies after the build started (plus the clock tolerance)'),
        ('occurred_in_future', 'occurred_at lies after the build started (plus the clock tolerance)'),
        ('received_before_occurred', 'received_at is earlier than occurred_at'),
        ('generation_without_policy_version', 'a generation without policy_version_id'),
        ('policy_version_unknown', 'policy_version_id is not a policy version of exp.policy_versions'),
        ('generation_without_latency', 'a generation without latency_ms'),
        ('latency_negative', 'latency_ms is negative'),
        ('token_count_negative', 'prompt_tokens or completion_tokens is negative'),
        ('score_out_of_range', 'constraint_respect_score, alignment_score or diversity_score outside [0, 1]'),
        ('edited_without_edit_count', 'an edited outcome without edit_count'),
        ('edit_count_below_one', 'edit_count is below 1'),
        ('request_id_reused_by_another_generation', 'another generation was received first for the same request_id'),
        ('second_outcome_for_request', 'another outcome was received first for the same request_id'),
        ('outcome_of_quarantined_generation', "the outcome's generation is quarantined"),
        ('outcome_without_generation', 'no generation with the same request_id, experiment, variant and unit'),
        ('outcome_before_generation', 'the outcome occurred before its generation'),
    ]) }}
{% endmacro %}


{# A SQL expression: the description of the rule named in `rule_column`. #}
{% macro quarantine_rule_description(rule_column) %}
    case {{ rule_column }}
        {%- for rule, description in quarantine_rules() %}
            when '{{ rule }}' then '{{ description | replace("'", "''") }}'
        {%- endfor %}
    end
{% endmacro %}
