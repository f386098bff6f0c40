-- noqa: disable=LT02,LT05
{#
    Mergeable latency summaries: log-spaced histograms (the DDSketch bucketing). A latency x > 0
    falls in bucket i = floor(ln x / ln gamma), gamma = (1 + a) / (1 - a), and bucket i stands
    for 2 gamma^(i+1) / (gamma + 1): within a relative error a of every value of the bucket.
    Counts per bucket add up over days, variants or units, so any window's percentile comes from
    the summed buckets without re-reading the rows. Percentiles interpolate like percentile_cont
    (h = 1 + (N - 1) q) between the values standing for the order statistics at floor(h) and
    floor(h) + 1; an interpolation between two values each within a relative error a stays within
    a, so every percentile is within a relative error a of the exact percentile_cont (the
    smallest and largest latency are exact). a = var('latency_histogram_relative_accuracy'),
    0.005 by default, i.e. a documented bound of 1 % with a margin for float rounding at bucket
    edges. A latency <= 0 has its own bucket (standing for 0).
#}
{% macro latency_histogram_gamma() -%}
    {%- set accuracy = var('latency_histogram_relative_accuracy', 0.005) | float -%}
    {{ (1.0 + accuracy) / (1.0 - accuracy) }}
{%- endmacro %}


{# The bucket (an integer) of the latency expression. #}
{% macro latency_histogram_bucket(latency) -%}
    case
        when {{ latency }} > 0
            then floor(ln({{ latency }}) / ln({{ latency_histogram_gamma() }}))::integer
        else -1000000
    end
{%- endmacro %}


{# The latency a bucket stands for. #}
{% macro latency_histogram_bucket_value(bucket) -%}
    case
        when {{ bucket }} = -1000000 then 0.0::{{ sql_type('float8') }}
        else 2.0 * power({{ latency_histogram_gamma() }}::{{ sql_type('float8') }}, {{ bucket }} + 1)
            / ({{ latency_histogram_gamma() }}::{{ sql_type('float8') }} + 1.0)
    end
{%- endmacro %}


{#
    A select of latency percentiles from histogram rows: `histograms` is a relation (or CTE)
    with the columns in `group_columns`, latency_bucket, generation_count (latencies in the
    bucket), latency_min_ms and latency_max_ms (the bucket's smallest and largest latency);
    `quantiles` a list of (column name, level). Returns per group: latency_count,
    latency_min_ms, latency_max_ms and one column per quantile.
#}
{% macro latency_histogram_percentiles(histograms, group_columns, quantiles) -%}
    {%- set groups = group_columns | join(', ') -%}
    select
        {{ groups }},
        max(latency_count) as latency_count,
        min(latency_min_ms) as latency_min_ms,
        {% for name, level in quantiles -%}
        {{ latency_histogram_quantile(level) }} as {{ name }},
        {% endfor -%}
        max(latency_max_ms) as latency_max_ms

    from (
        select
            *,
            rank_through - bucket_count as rank_before,
            sum(bucket_count) over (partition by {{ groups }}) as latency_count,
            min(latency_min_ms) over (partition by {{ groups }}) as group_min_ms,
            max(latency_max_ms) over (partition by {{ groups }}) as group_max_ms

        from (
            select
                *,
                sum(bucket_count) over (
                    partition by {{ groups }} order by latency_bucket asc rows unbounded preceding
                ) as rank_through

            from (
                select
                    {{ groups }},
                    latency_bucket,
                    sum(generation_count) as bucket_count,
                    min(latency_min_ms) as latency_min_ms,
                    max(latency_max_ms) as latency_max_ms,
                    least(
                        greatest({{ latency_histogram_bucket_value('latency_bucket') }}, min(latency_min_ms)),
                        max(latency_max_ms)
                    ) as bucket_value_ms

                from {{ histograms }}

                group by {{ groups }}, latency_bucket
            ) as merged_buckets
        ) as cumulated_buckets
    ) as ranked_buckets

    group by {{ groups }}
{%- endmacro %}


{#
    Inside latency_histogram_percentiles: the percentile at `level` of a group, interpolated
    like percentile_cont between the order statistics at floor(h) and floor(h) + 1.
#}
{% macro latency_histogram_quantile(level) -%}
    {%- set position = '(1.0 + (latency_count - 1) * ' ~ level ~ ')' -%}
    {%- set lower_rank = 'floor(' ~ position ~ ')' -%}
    {%- set upper_rank = 'least(floor(' ~ position ~ ') + 1, latency_count)' -%}
    ({{ latency_histogram_value_at(lower_rank) }} + max({{ position }} - {{ lower_rank }}) * ({{ latency_histogram_value_at(upper_rank) }} - {{ latency_histogram_value_at(lower_rank) }}))
{%- endmacro %}


{#
    Inside latency_histogram_percentiles: the latency standing for the order statistic at
    `rank` (1-based) of a group, as an aggregate over the group's buckets: the exact minimum or
    maximum at the ends, otherwise the value of the bucket holding the rank.
#}
{% macro latency_histogram_value_at(rank) -%}
    max(case when {{ rank }} > rank_before and {{ rank }} <= rank_through then case when {{ rank }} = 1 then group_min_ms when {{ rank }} = latency_count then group_max_ms else bucket_value_ms end end)
{%- endmacro %}


{#
    The order statistic at `rank` (1-based) of a group, as an aggregate over the group's buckets
    (columns rank_before, rank_through, bucket_count, latency_min_ms, latency_max_ms of the
    bucket): linear inside the bucket holding the rank, from the bucket's smallest latency (its
    first rank) to its largest (its last rank). Exact at both ends of every bucket and within
    the bucket's width (gamma - 1 = 1.005 %) of the exact order statistic anywhere; on a smooth
    distribution much closer (the latencies of a narrow bucket are nearly evenly spread). Used by
    the latency quantile test (macro significance_ctes), whose standard error is a difference of
    two such order statistics a fraction of a bucket apart.
#}
{% macro latency_bucket_order_statistic(rank) -%}
    max(
        case
            when ({{ rank }}) > rank_before and ({{ rank }}) <= rank_through
                then latency_min_ms + case
                    when bucket_count > 1
                        then (({{ rank }}) - rank_before - 1.0) / (bucket_count - 1.0) * (latency_max_ms - latency_min_ms)
                    else 0.0
                end
        end
    )
{%- endmacro %}
