{#
  Generic test: no two rows share the same values of `colunas` (a composite key, such as the
  item fact's (id_pedido, id_produto)). dbt has `unique` for one column only.
#}
{% test combinacao_unica(model, colunas) %}
select
    {{ colunas | join(', ') }},
    count(*) as ocorrencias
from {{ model }}
group by {{ colunas | join(', ') }}
having count(*) > 1
{% endtest %}
