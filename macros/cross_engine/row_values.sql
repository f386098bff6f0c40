{#
    A table row as text, and 64-bit hashes of text: what the event log's change detection and
    deduplication fingerprint (models/intermediate/event_log/). The fingerprints are compared
    only with fingerprints of the same engine, so the engines need not agree on the text.
#}

{# Every column of the row of `relation_alias` (a table alias in FROM) as one text value. #}
{% macro row_text(relation_alias) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('row_text', 'experiment_analytics')(relation_alias)) }}
    {%- else -%}
        {{ return(default__row_text(relation_alias)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__row_text(relation_alias) -%}
    {{ relation_alias }}::text
{%- endmacro %}

{% macro spark__row_text(relation_alias) -%}
    cast(struct({{ relation_alias }}.*) as string)
{%- endmacro %}


{# The listed values (SQL expressions) as one text value: a row constructor's text. #}
{% macro values_text(expressions) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('values_text', 'experiment_analytics')(expressions)) }}
    {%- else -%}
        {{ return(default__values_text(expressions)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__values_text(expressions) -%}
    row({{ expressions | join(', ') }})::text
{%- endmacro %}

{% macro spark__values_text(expressions) -%}
    cast(struct({{ expressions | join(', ') }}) as string)
{%- endmacro %}


{#
    A 64-bit hash of a text value. On Spark as decimal(20, 0), so that a sum of many hashes
    cannot overflow (PostgreSQL's sum of bigint is numeric already).
#}
{% macro text_hash64(text_expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('text_hash64', 'experiment_analytics')(text_expression)) }}
    {%- else -%}
        {{ return(default__text_hash64(text_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__text_hash64(text_expression) -%}
    hashtextextended({{ text_expression }}, 0)
{%- endmacro %}

{% macro spark__text_hash64(text_expression) -%}
    cast(xxhash64({{ text_expression }}) as decimal(20, 0))
{%- endmacro %}


{#
    A 64-bit hash of a text value as a whole number that sums without overflow: numeric on
    PostgreSQL, decimal(38, 0) on Spark (its sum stays decimal(38, 0): 10^19 hashes). A column
    of such sums is declared numeric(38,0) in a contract, which both engines match.
#}
{% macro text_hash64_numeric(text_expression) -%}
    {%- if adapter is defined -%}
        {{ return(adapter.dispatch('text_hash64_numeric', 'experiment_analytics')(text_expression)) }}
    {%- else -%}
        {{ return(default__text_hash64_numeric(text_expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__text_hash64_numeric(text_expression) -%}
    {{ text_hash64(text_expression) }}::numeric
{%- endmacro %}

{% macro spark__text_hash64_numeric(text_expression) -%}
    cast(xxhash64({{ text_expression }}) as decimal(38, 0))
{%- endmacro %}
