{#
    Incremental strategy 'replace_days' on Spark (on PostgreSQL: macros/event_log/
    replace_days_strategy.sql, a delete and an insert in one transaction).

    A Spark table of a model with incremental_strategy='replace_days' is partitioned by its UTC
    day column (the model's unique_key; partition_by, when set, wins: a model whose rows belong
    to more than one day, unique_key a list, names the one it is partitioned by, and must then
    select every row of each partition it writes, see arm_day_pair_statistics). A build then
    1. drops the partitions of every day this build rebuilds (rebuilt_days(), read from
       int_event_log_days before the insert: also the days that now have no row at all, e.g.
       all their events quarantined; Spark's insert overwrite alone would keep those), and
    2. writes the new rows with `insert overwrite ... partition (<day>)`, dynamic partition
       overwrite (the mode dbt-spark's insert_overwrite strategy uses): only the partitions
       present in the new rows are written, no other day is read or rewritten.
    Neither a global sort nor a read of the table's other days: the cost of a build is the
    rebuilt days'. Spark commits the two statements separately (no transaction on plain
    parquet tables): a reader in between sees the rebuilt days missing, never wrong or doubled.

    dbt-spark's incremental materialization accepts only its own strategies by name; these two
    of its macros are extended here (the root project's macros win) and hand every other
    strategy to dbt-spark's own.
#}
{% macro dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format) %}
    {%- if raw_strategy == 'replace_days' -%}
        {%- if file_format not in ['parquet', 'orc', 'hive', 'delta', 'iceberg', 'hudi'] -%}
            {{ exceptions.raise_compiler_error(
                "incremental_strategy 'replace_days' needs a partitioned table format, got file_format "
                ~ file_format) }}
        {%- endif -%}
        {{ return(raw_strategy) }}
    {%- endif -%}
    {{ return(dbt_spark.dbt_spark_validate_get_incremental_strategy(raw_strategy, file_format)) }}
{% endmacro %}


{% macro dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) %}
    {%- if strategy == 'replace_days' -%}
        {#- the partition column: partition_by when set (a model whose unique_key lists more than
            one day column, e.g. arm_day_pair_statistics), else the unique_key #}
        {%- set partition_by = config.get('partition_by') -%}
        {%- if partition_by is not string and partition_by is not none and partition_by | length == 1 -%}
            {%- set partition_by = partition_by[0] -%}
        {%- endif -%}
        {{ spark_replace_days_sql(source, target, existing, partition_by or unique_key) }}
    {%- else -%}
        {{ dbt_spark.dbt_spark_get_incremental_sql(strategy, source, target, existing, unique_key, incremental_predicates) }}
    {%- endif -%}
{% endmacro %}


{% macro spark_replace_days_sql(source, target, existing, day_column) %}
    {%- if day_column is not string -%}
        {{ exceptions.raise_compiler_error(
            "incremental_strategy 'replace_days' on Spark needs one day column to partition by:"
            ~ " unique_key = the model's UTC day column, or partition_by = one of its unique_key's"
            ~ " day columns; got " ~ day_column) }}
    {%- endif -%}
    {%- set rebuilt = run_query('select cast(occurred_date as string) from ' ~ rebuilt_days() ~ ' as days') -%}
    {%- set partitions = [] -%}
    {%- for row in rebuilt.rows -%}
        {%- do partitions.append("partition (" ~ day_column ~ " = '" ~ row[0] ~ "')") -%}
    {%- endfor -%}
    {%- if partitions -%}
        {%- do log(target ~ ': replacing ' ~ partitions | length ~ ' day partition(s)') -%}
        {%- call statement('drop_rebuilt_days') -%}
            alter table {{ target }} drop if exists {{ partitions | join(', ') }}
        {%- endcall -%}
    {%- endif -%}
    {#- static mode would overwrite every partition of the table: always dynamic here #}
    {%- call statement('dynamic_partition_overwrite') -%}
        set spark.sql.sources.partitionOverwriteMode = DYNAMIC
    {%- endcall -%}
    {{ get_insert_overwrite_sql(source, target, existing) }}
{% endmacro %}


{#
    dbt-spark's `partitioned by` / `partition (...)` clause, extended: a replace_days model
    without partition_by is partitioned by its day column (unique_key).
#}
{% macro spark__partition_cols(label, required=false) %}
    {%- set cols = config.get('partition_by', validator=validation.any[list, basestring]) -%}
    {%- if cols is none and config.get('incremental_strategy') == 'replace_days' -%}
        {%- set cols = config.get('unique_key') -%}
    {%- endif -%}
    {%- if cols is not none -%}
        {%- if cols is string -%}
            {%- set cols = [cols] -%}
        {%- endif -%}
        {{ label }} ({{ cols | join(', ') }})
    {%- endif -%}
{% endmacro %}
