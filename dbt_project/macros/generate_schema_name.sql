{#
  Models land in exactly the schema they configure (staging, marts, snapshots), not in
  "<target schema>_<schema>" as dbt does by default: the course and the notebooks query
  marts.fato_itens_pedido, whatever the profile's schema is.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
