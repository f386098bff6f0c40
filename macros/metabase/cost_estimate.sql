{#
    The cost cards of Latency & Cost: per LLM, requests, tokens and the cost at the CURRENT
    prices of the seed model_token_prices over the complete UTC days [today - days, today), and
    whether the model has a price. Computed from the token counts of daily_model_costs when the
    card runs, so a price set with `dbt seed` shows at once (no rebuild of past days).
    A model without a price is never counted as free: the cards say which models have none.
#}
{% macro window_model_costs(daily_model_costs, model_token_prices, days) %}
    select
        {{ daily_model_costs }}.model_name,
        {{ model_token_prices }}.model_name is not null as is_priced,
        sum({{ daily_model_costs }}.request_count) as request_count,
        sum({{ daily_model_costs }}.prompt_tokens + {{ daily_model_costs }}.completion_tokens) as tokens,
        sum(
            {{ daily_model_costs }}.prompt_tokens * {{ model_token_prices }}.usd_per_million_prompt_tokens
            + {{ daily_model_costs }}.completion_tokens
            * {{ model_token_prices }}.usd_per_million_completion_tokens
        ) / 1000000 as estimated_cost_usd,
        coalesce(sum(
            {{ daily_model_costs }}.prompt_tokens * {{ model_token_prices }}.usd_per_million_prompt_tokens
            + {{ daily_model_costs }}.completion_tokens
            * {{ model_token_prices }}.usd_per_million_completion_tokens
        ) filter (
            where {{ daily_model_costs }}.metric_date = {{ utc_today() }} - 1
        ) / 1000000, 0) as estimated_cost_usd_last_day,
        sum({{ daily_model_costs }}.request_count) filter (
            where {{ daily_model_costs }}.metric_date = {{ utc_today() }} - 1
        ) as request_count_last_day
    from {{ daily_model_costs }}
    left join {{ model_token_prices }}
        on {{ daily_model_costs }}.model_name = {{ model_token_prices }}.model_name
    where
        {{ daily_model_costs }}.metric_date >= {{ utc_today() }} - {{ days }}
        and {{ daily_model_costs }}.metric_date < {{ utc_today() }}
    group by {{ daily_model_costs }}.model_name, {{ model_token_prices }}.model_name
{% endmacro %}

{#
    One text value for a Number card: "$1,234.56" when every request of the window has a price;
    "at least $1,234.56; no price: <model> (<n> requests), ..." when some have none (their cost
    is unknown, never 0). Reads the CTE built by window_model_costs.
#}
{% macro cost_estimate_text(window_model_costs) %}
    select
        case
            when count(*) filter (where not is_priced) = 0
                then '$' || {{ money_text('coalesce(sum(estimated_cost_usd), 0)') }}
            else
                'at least $'
                || {{ money_text('coalesce(sum(estimated_cost_usd), 0)') }}
                || '; no price: '
                || {{ ordered_string_agg(
                    "model_name || ' (' || request_count || ' requests)'", "', '", 'model_name'
                ) }} filter (where not is_priced)
        end as estimated_cost
    from {{ window_model_costs }}
{% endmacro %}
