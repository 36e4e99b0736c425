// Exercises 01.1 (SQL: products above their category's average price) and 01.2 (predict, then run: what a DELETE of an
// order takes with it) of lesson 01. The reference is computed from the live OLTP at check time.
import { emTransacaoDesfeita, inserirPedidoDeExemplo } from "../oltp";
import { coluna, consultaDoAluno, errosDeSql, mesmaTabela, primeiraDiferenca, sqlVazio, type Tabela } from "./sql";
import type { Exercicio } from "./tipos";

interface Analise011 {
  aluno: Tabela;
  referencia: Tabela;
  /** "categoria|produto" keys of products above the store-wide average, of products below their category's, and of all. */
  acimaDaMediaGeral: string[];
  abaixoDaMedia: string[];
  totalProdutos: number;
}

// Written differently from the official solution (a window function, not a grouped CTE) so the
// check does not compare the solution with its own text.
const REFERENCIA_011 = `
  SELECT categoria, produto, valor_unit
    FROM (SELECT c.id AS id_categoria, c.descricao AS categoria, p.descricao AS produto, p.valor_unit,
                 avg(p.valor_unit) OVER (PARTITION BY p.id_categoria) AS media
            FROM produtos p
            JOIN categorias c ON c.id = p.id_categoria) AS x
   WHERE valor_unit > media
   ORDER BY id_categoria, valor_unit DESC, produto`;
const CHAVES_011 = `
  SELECT c.descricao || '|' || p.descricao AS chave,
         p.valor_unit > (SELECT avg(valor_unit) FROM produtos) AS acima_geral,
         p.valor_unit < avg(p.valor_unit) OVER (PARTITION BY p.id_categoria) AS abaixo
    FROM produtos p JOIN categorias c ON c.id = p.id_categoria`;

/** The rows of `t` as "categoria|produto" keys, sorted unless asked in row order (undefined without those columns). */
function chavesDoAluno(t: Tabela, naOrdem = false): string[] | undefined {
  const cat = coluna(t, "categoria");
  const prod = coluna(t, "produto");
  if (!cat || !prod) return undefined;
  const chaves = cat.map((c, i) => `${String(c)}|${String(prod[i])}`);
  return naOrdem ? chaves : chaves.sort();
}

const mesmasChaves = (a: string[] | undefined, b: string[]) => a !== undefined && a.length === b.length && a.every((k, i) => k === b[i]);

export const exercicio011: Exercicio<string, Analise011> = {
  id: "01.1",
  aula: "01",
  tipo: "sql",
  titulo: "Produtos acima da média da própria categoria",
  objetivo:
    "Combinar uma agregação (avg) com as linhas de detalhe: calcular a média de cada grupo e comparar cada linha com a média do grupo dela — " +
    "uma pergunta que aparece o tempo todo (clientes acima do ticket médio, pedidos acima do normal…).",
  tarefa:
    "Escreva um SELECT que devolva os produtos cujo valor_unit é MAIOR que o preço médio dos produtos da mesma categoria, com as colunas " +
    "categoria (a descrição da categoria), produto (a descrição do produto) e valor_unit, ordenados pelo id da categoria, depois do mais " +
    "caro para o mais barato e, no empate, pelo nome do produto.",
  pronto:
    "as três colunas, exatamente os produtos acima da média da própria categoria, na ordem pedida — conferido contra o catálogo de agora.",
  dicas: [
    "Faça em dois passos: primeiro a média de cada categoria (SELECT id_categoria, avg(valor_unit) … GROUP BY id_categoria), depois compare.",
    "Um WITH (CTE) dá nome a uma consulta para usar logo abaixo: WITH medias AS (…) SELECT … FROM produtos p JOIN medias m ON m.id_categoria = p.id_categoria.",
    "Junte também categorias para ter a descrição, filtre com WHERE p.valor_unit > m.media e termine com ORDER BY c.id, p.valor_unit DESC, p.descricao.",
  ],
  semResposta: sqlVazio,
  analisar: async (sql) => {
    const [aluno, referencia, chaves] = [
      await consultaDoAluno(sql),
      await consultaDoAluno(REFERENCIA_011),
      await consultaDoAluno(CHAVES_011),
    ];
    const k = (i: number) =>
      chaves.linhas
        .filter((l) => l[i] === true)
        .map((l) => String(l[0]))
        .sort();
    return { aluno, referencia, acimaDaMediaGeral: k(1), abaixoDaMedia: k(2), totalProdutos: chaves.linhas.length };
  },
  correto: (a) => mesmaTabela(a.aluno, a.referencia),
  parabens: (a) =>
    `Certo: ${a.referencia.linhas.length} dos ${a.totalProdutos} produtos estão acima da média da própria categoria. Repare que a média ` +
    "precisou de um passo à parte: o WHERE olha uma linha por vez, e a média é de um grupo inteiro.",
  errosTipicos: [
    {
      codigo: "agregacao-no-where",
      reconhece: (a) => a.aluno.falha?.sqlstate === "42803",
      explicar: (a) =>
        "O PostgreSQL recusou uma agregação fora do lugar. avg() não pode ir direto no WHERE (o WHERE decide uma linha por vez, antes de " +
        "qualquer agrupamento), e toda coluna fora de uma agregação precisa estar no GROUP BY. Calcule as médias numa subconsulta ou num " +
        `WITH e junte com produtos.\nO PostgreSQL disse: ${a.aluno.falha!.mensagem}`,
    },
    ...errosDeSql<Analise011>((a) => a.aluno),
    {
      codigo: "media-geral",
      reconhece: (a) =>
        mesmasChaves(chavesDoAluno(a.aluno), a.acimaDaMediaGeral) && !mesmasChaves(chavesDoAluno(a.referencia), a.acimaDaMediaGeral),
      explicar: () =>
        "Você comparou cada produto com a média geral da loja (todos os produtos juntos). A tarefa pede a média da PRÓPRIA categoria: " +
        "um carro e uma camiseta não disputam o mesmo preço. Calcule a média por id_categoria (GROUP BY) e junte pela categoria.",
    },
    {
      codigo: "sinal-trocado",
      reconhece: (a) => mesmasChaves(chavesDoAluno(a.aluno), a.abaixoDaMedia),
      explicar: () => "Você trouxe os produtos ABAIXO da média da categoria: o sinal da comparação está invertido (a tarefa pede >).",
    },
    {
      codigo: "sem-filtro",
      reconhece: (a) => a.aluno.linhas.length === a.totalProdutos && a.totalProdutos !== a.referencia.linhas.length,
      explicar: (a) =>
        `Sua consulta devolveu os ${a.totalProdutos} produtos: falta o filtro. Depois de juntar a média da categoria, mantenha só ` +
        "WHERE p.valor_unit > média.",
    },
    {
      codigo: "categoria-pelo-id",
      reconhece: (a) => {
        const cat = coluna(a.aluno, "categoria");
        return cat !== undefined && cat.length > 0 && cat.every((v) => typeof v === "number");
      },
      explicar: () =>
        "A coluna categoria tem números: é o id. Mostre a descrição (categorias.descricao AS categoria) — quem lê o relatório não decora ids.",
    },
    {
      codigo: "fora-de-ordem",
      reconhece: (a) =>
        mesmasChaves(chavesDoAluno(a.aluno), chavesDoAluno(a.referencia)!) &&
        !mesmasChaves(chavesDoAluno(a.aluno, true), chavesDoAluno(a.referencia, true)!),
      explicar: () =>
        "Os produtos certos estão todos lá, mas fora da ordem pedida. Sem ORDER BY o PostgreSQL devolve na ordem que for mais barata — " +
        "que pode mudar de uma execução para outra. Termine com ORDER BY c.id, p.valor_unit DESC, p.descricao.",
    },
  ],
  mensagemGenerica: (a) =>
    `Ainda não bate com o catálogo de agora: ${primeiraDiferenca(a.aluno, a.referencia) ?? `devolva só as colunas categoria, produto e valor_unit (você devolveu ${a.aluno.colunas.join(", ")})`}. ` +
    'Rode a consulta numa célula (await query("oltp", `…`)) para ver o que ela devolve.',
};

/** What a DELETE of one example order removed, table by table (observed in a rolled-back transaction). */
export interface ApagadoPorTabela {
  pedidos: number;
  itens_pedidos: number;
  auditoria_pedidos: number;
}

interface Analise012 {
  previsao: number;
  observado: ApagadoPorTabela;
  total: number;
}

/** Inserts the example order (2 items, 1 audit row), deletes it and counts what went, then ROLLBACK. */
export async function apagarPedidoDeExemplo(): Promise<ApagadoPorTabela> {
  return emTransacaoDesfeita(async (client) => {
    await inserirPedidoDeExemplo(client);
    const {
      rows: [{ id }],
    } = await client.query<{ id: number }>("SELECT currval(pg_get_serial_sequence('pedidos', 'id'))::bigint AS id");
    const contar = async () =>
      (
        await client.query<ApagadoPorTabela>(
          `SELECT (SELECT count(*) FROM pedidos WHERE id = $1)::int AS pedidos,
                  (SELECT count(*) FROM itens_pedidos WHERE id_pedido = $1)::int AS itens_pedidos,
                  (SELECT count(*) FROM auditoria_pedidos WHERE id_pedido = $1)::int AS auditoria_pedidos`,
          [id],
        )
      ).rows[0]!;
    const antes = await contar();
    await client.query("DELETE FROM pedidos WHERE id = $1", [id]);
    const depois = await contar();
    return {
      pedidos: antes.pedidos - depois.pedidos,
      itens_pedidos: antes.itens_pedidos - depois.itens_pedidos,
      auditoria_pedidos: antes.auditoria_pedidos - depois.auditoria_pedidos,
    };
  });
}

const observadoEmTexto = (o: ApagadoPorTabela) =>
  `pedidos ${o.pedidos}, itens_pedidos ${o.itens_pedidos}, auditoria_pedidos ${o.auditoria_pedidos}`;

export const exercicio012: Exercicio<number, Analise012> = {
  id: "01.2",
  aula: "01",
  tipo: "prever",
  titulo: "Quanto um DELETE leva junto?",
  objetivo: "Prever o efeito das políticas ON DELETE do modelo antes de ver o banco agir — e entender por que cada uma foi escolhida.",
  tarefa:
    "Um pedido com 2 itens (e, como todo pedido, 1 linha de auditoria) vai ser apagado com DELETE FROM pedidos WHERE id = …. " +
    "Quantas linhas somem no total, somando pedidos, itens_pedidos e auditoria_pedidos? Escreva um número ANTES de rodar a verificação " +
    "(ela faz o DELETE de verdade numa transação desfeita e mostra o que sumiu).",
  pronto: "sua previsão é igual ao total de linhas que o PostgreSQL apagou.",
  dicas: [
    "Abra postgresql-init/01_tabelas.sql e procure ON DELETE nas chaves estrangeiras que apontam para pedidos.",
    "CASCADE quer dizer: quando o pai some, os filhos vão junto. Quais tabelas são filhas de pedidos?",
    "Conte: o próprio pedido, cada item dele e a linha de auditoria.",
  ],
  semResposta: (r) => r === undefined || r === null || (typeof r === "number" && Number.isNaN(r)),
  analisar: async (previsao) => {
    const observado = await apagarPedidoDeExemplo();
    return { previsao: Number(previsao), observado, total: observado.pedidos + observado.itens_pedidos + observado.auditoria_pedidos };
  },
  correto: (a) => a.previsao === a.total,
  parabens: (a) =>
    `Previsão certa: ${a.total} linhas (${observadoEmTexto(a.observado)}). Itens e auditoria são partes do pedido (ON DELETE CASCADE): ` +
    "sem o pedido, não fazem sentido. Já pessoas e produtos usam RESTRICT: apagar alguém com pedidos é recusado.",
  errosTipicos: [
    {
      codigo: "achou-que-seria-recusado",
      reconhece: (a) => a.previsao === 0,
      explicar: (a) =>
        `O DELETE foi aceito e levou ${a.total} linhas (${observadoEmTexto(a.observado)}). RESTRICT (recusar) vale para quem é ` +
        "referenciado por registros financeiros — pessoas, produtos, categorias. As chaves de itens_pedidos e auditoria_pedidos para " +
        "pedidos são ON DELETE CASCADE.",
    },
    {
      codigo: "esqueceu-a-cascata",
      reconhece: (a) => a.previsao === a.observado.pedidos,
      explicar: (a) =>
        `Só o pedido? O PostgreSQL apagou ${a.total} linhas (${observadoEmTexto(a.observado)}). As chaves estrangeiras de itens_pedidos e ` +
        "auditoria_pedidos têm ON DELETE CASCADE: apagar o pedido apaga as partes dele na mesma transação. Sem CASCADE (ou com RESTRICT), " +
        "o DELETE seria recusado — nunca ficariam itens órfãos.",
    },
    {
      codigo: "esqueceu-a-auditoria",
      reconhece: (a) => a.previsao === a.observado.pedidos + a.observado.itens_pedidos,
      explicar: (a) =>
        `Quase: faltou a auditoria. Todo pedido tem uma linha em auditoria_pedidos (dispositivo, geohash, telefone), e ela também vai ` +
        `junto (ON DELETE CASCADE). Total: ${a.total} (${observadoEmTexto(a.observado)}).`,
    },
    {
      codigo: "esqueceu-os-itens",
      reconhece: (a) => a.previsao === a.observado.pedidos + a.observado.auditoria_pedidos,
      explicar: (a) =>
        `Faltaram os itens: cada item do pedido é uma linha em itens_pedidos (1FN: nada de lista numa coluna), e os ` +
        `${a.observado.itens_pedidos} vão junto. Total: ${a.total} (${observadoEmTexto(a.observado)}).`,
    },
  ],
  mensagemGenerica: (a) =>
    `Você previu ${a.previsao}; o PostgreSQL apagou ${a.total} linhas (${observadoEmTexto(a.observado)}). Conte as tabelas que apontam ` +
    "para pedidos com ON DELETE CASCADE e quantas linhas cada uma tem para este pedido.",
};
