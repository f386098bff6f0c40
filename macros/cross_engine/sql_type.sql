{#
    A PostgreSQL type name, as the target engine spells the same type: the one place the models'
    casts differ between engines (`null::{{ sql_type('float8') }}`). On PostgreSQL every name is
    itself; on Spark: text -> string, float8 -> double, timestamptz -> timestamp (an instant; the
    session time zone is UTC), integer -> int, numeric -> decimal(38, 18) (PostgreSQL's numeric
    has no fixed scale; Spark's plain `numeric` would round to an integer), numeric(p,s) ->
    decimal(p,s), <type>[] -> array<type>. Other names pass.
#}
{% macro sql_type(postgres_name) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('sql_type', 'experiment_analytics')(postgres_name)) }}
    {%- else -%}
        {{ return(default__sql_type(postgres_name)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__sql_type(postgres_name) -%}
    {{ postgres_name }}
{%- endmacro %}

{% macro spark__sql_type(postgres_name) -%}
    {%- set spark_names = {
        'text': 'string',
        'float8': 'double',
        'double precision': 'double',
        'timestamptz': 'timestamp',
        'timestamp with time zone': 'timestamp',
        'integer': 'int',
        'numeric': 'decimal(38, 18)',
        'uuid': 'string',
    } -%}
    {%- set name = postgres_name | trim | lower -%}
    {%- if name.endswith('[]') -%}
        {{ 'array<' ~ spark__sql_type(name[:-2]) ~ '>' }}
    {%- elif name.startswith('numeric(') -%}
        {{ 'decimal' ~ name[7:] }}
    {%- else -%}
        {{ spark_names.get(name, name) }}
    {%- endif -%}
{%- endmacro %}
