select
    id_pedido,
    id_produto,
    qtde,
    valor_total,
    created_at as criado_em,
    updated_at as atualizado_em
from {{ source('oltp', 'itens_pedidos') }}
