-- SCD type 2 lookup: each order points at the version of its person that was valid at the
-- sale (valido_de <= dt_venda < valido_ate). In `dbt build`, checks the rows it wrote;
-- `dbt test` checks every row. Returns the orders mapped to another version.
select
    f.id_pedido,
    f.id_pessoa,
    f.dt_venda,
    p.versao,
    p.valido_de,
    p.valido_ate
from {{ ref('fato_pedidos') }} as f
inner join {{ ref('dim_pessoas') }} as p on p.sk_pessoa = f.sk_pessoa
where
    {{ apenas_carga_atual('f') }}
    and (p.id_pessoa <> f.id_pessoa or f.dt_venda < p.valido_de or f.dt_venda >= p.valido_ate)
