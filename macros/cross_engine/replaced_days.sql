{#
    Which days of a table whose rows belong to two days (arm_day_pair_statistics: metric_date x
    paired_metric_date) this build computes again, as a condition on one of its day columns:
    `where {{ pair_day_recomputed('later.metric_date') }} or {{ pair_day_recomputed('earlier.metric_date') }}`.

    PostgreSQL: the rebuilt days (rebuilt_days()); the replace_days strategy deletes every row
    with either day rebuilt, so the pairs with a rebuilt day are all that is computed again.
    Spark: every day from the earliest rebuilt day on. The Spark table is partitioned by the
    later day (metric_date) and a build writes whole partitions (insert overwrite), so a pair
    whose earlier day was rebuilt means its later day's whole partition, which holds pairs with
    no rebuilt day too. Every later day from the earliest rebuilt one on covers them without
    reading the table: the cost of a new day is that day (as on PostgreSQL); a late event k
    days back costs the k days since. A model calling it must declare
    `-- depends_on: {{ ref('int_event_log_days') }}`.
#}
{% macro pair_day_recomputed(day_expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('pair_day_recomputed', 'experiment_analytics')(day_expression)) }}
    {%- else -%}
        {{ return(default__pair_day_recomputed(day_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__pair_day_recomputed(day_expression) -%}
    {{ day_expression }} in {{ rebuilt_days() }}
{%- endmacro %}

{% macro spark__pair_day_recomputed(day_expression) -%}
    {{ day_expression }} >= (select min(rebuilt.occurred_date) from {{ rebuilt_days() }} as rebuilt)
{%- endmacro %}
