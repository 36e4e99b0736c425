select
    id         as id_produto,
    id_categoria,
    descricao  as produto,
    valor_unit,
    created_at as criado_em,
    updated_at as atualizado_em
from {{ source('oltp', 'produtos') }}
