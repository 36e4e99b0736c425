-- Every surrogate key of the item fact points at a row of its dimension (one pass over the
-- fact; the dimensions are small). Returns the orphan keys found. In `dbt build`, checks the
-- rows it wrote (the dimensions never lose rows: the snapshot keeps every version and the OLTP
-- refuses to delete a product or person still referenced); `dbt test` checks every row.
select
    f.id_pedido,
    f.id_produto,
    case
        when f.sk_pessoa is null or p.sk_pessoa is null then 'sk_pessoa'
        when f.sk_produto is null or pr.sk_produto is null then 'sk_produto'
        when f.sk_data is null or d.sk_data is null then 'sk_data'
        when f.sk_local is not null and l.sk_local is null then 'sk_local'
        when f.sk_dispositivo is not null and di.sk_dispositivo is null then 'sk_dispositivo'
    end as chave_orfa
from {{ ref('fato_itens_pedido') }} as f
left join {{ ref('dim_pessoas') }} as p on p.sk_pessoa = f.sk_pessoa
left join {{ ref('dim_produtos') }} as pr on pr.sk_produto = f.sk_produto
left join {{ ref('dim_data') }} as d on d.sk_data = f.sk_data
left join {{ ref('dim_local') }} as l on l.sk_local = f.sk_local
left join {{ ref('dim_dispositivo') }} as di on di.sk_dispositivo = f.sk_dispositivo
where
    {{ apenas_carga_atual('f') }}
    and (
        f.sk_pessoa is null or p.sk_pessoa is null
        or f.sk_produto is null or pr.sk_produto is null
        or f.sk_data is null or d.sk_data is null
        or (f.sk_local is not null and l.sk_local is null)
        or (f.sk_dispositivo is not null and di.sk_dispositivo is null)
    )
