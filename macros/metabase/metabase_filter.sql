{#
    Renders a Metabase template tag, e.g. metabase_filter('experiment') -> {{experiment}}.

    Card SQL under analyses/ is compiled by dbt (so ref() resolves to the right schema), which
    would otherwise try to render Metabase's own {{tag}} syntax. Write the tag through this macro,
    always inside an optional clause: [[and {{ metabase_filter('experiment') }}]].
    The publisher turns each tag into a Metabase field filter (see metabase/README.md).
#}
{% macro metabase_filter(tag) -%}
    {%- if tag is not string or not modules.re.match('^[a-z][a-z0-9_]*$', tag) -%}
        {{ exceptions.raise_compiler_error(
            "metabase_filter(): the tag must be a lowercase identifier (letters, digits, _), got "
            ~ tag ~ ""
        ) }}
    {%- endif -%}
    {{ '{{' ~ tag ~ '}}' }}
{%- endmacro %}
