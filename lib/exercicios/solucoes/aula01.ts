// Solutions of lesson 01's exercises. Kept apart from the student's notebook: shown by
// solucao(id) only after an attempt, and put in the answer cells only by `./liga curso`.
// The psql solution really runs psql (the tool the exercise is about) with the kit's settings.
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { config } from "../../config";
import { comandoPsql } from "../aula01-psql";
import { TABELA_014 } from "../aula01-restricao";
import type { Solucao } from "../tipos";

const SQL_011 = `WITH medias AS (
  SELECT id_categoria, avg(valor_unit) AS media
    FROM produtos
   GROUP BY id_categoria
)
SELECT c.descricao AS categoria, p.descricao AS produto, p.valor_unit
  FROM produtos p
  JOIN categorias c ON c.id = p.id_categoria
  JOIN medias m ON m.id_categoria = p.id_categoria
 WHERE p.valor_unit > m.media
 ORDER BY c.id, p.valor_unit DESC, p.descricao`;

const COPY_013 = (arquivo: string) => `\\copy (SELECT id, descricao FROM categorias ORDER BY id) TO '${arquivo}' WITH (FORMAT csv, HEADER)`;

/** Runs the \copy of 01.3 through psql into a file of the course run; returns its path. */
function exportarComPsql(): string {
  const { oltp } = config();
  const pasta = join(tmpdir(), "liga-sudoers-solucoes");
  mkdirSync(pasta, { recursive: true });
  const arquivo = join(pasta, "01.3-categorias.csv");
  execFileSync(
    "psql",
    [
      "-X",
      "-q",
      "-v",
      "ON_ERROR_STOP=1",
      "-h",
      oltp.host,
      "-p",
      String(oltp.port),
      "-U",
      oltp.user,
      "-d",
      oltp.database,
      "-c",
      COPY_013(arquivo),
    ],
    { env: { ...process.env, PGPASSWORD: oltp.password }, stdio: ["ignore", "ignore", "pipe"] },
  );
  return arquivo;
}

const SQL_014 = `DELETE FROM ${TABELA_014} WHERE valor_unit <= 0;
ALTER TABLE ${TABELA_014}
  ADD CONSTRAINT produtos_importados_valor_unit_check CHECK (valor_unit > 0);`;

export const solucoesAula01: Record<string, Solucao> = {
  "01.1": {
    codigo: SQL_011,
    explicacao:
      "A média de cada categoria sai de uma agregação (GROUP BY id_categoria) feita à parte, no WITH; cada produto se junta com a média " +
      "da categoria dele e o WHERE compara linha a linha. (Outra forma: avg(valor_unit) OVER (PARTITION BY id_categoria), uma função " +
      "de janela, que calcula a média do grupo sem juntar as linhas.)",
    obter: () => SQL_011,
  },
  "01.2": {
    codigo: "const previsao = 4; // 1 pedido + 2 itens + 1 linha de auditoria",
    explicacao:
      "itens_pedidos e auditoria_pedidos apontam para pedidos com ON DELETE CASCADE: apagar o pedido apaga os 2 itens e a auditoria. " +
      "Total: 1 + 2 + 1 = 4.",
    // The number is the prediction the exercise asks for (a fact of the model's ON DELETE policy);
    // the check still counts what PostgreSQL really deleted.
    obter: () => 4,
  },
  "01.3": {
    // A getter: the command comes from the configuration when the solution is shown.
    get codigo() {
      return [
        "# no terminal do JupyterLab:",
        comandoPsql(),
        `=> ${COPY_013("/tmp/categorias.csv")}`,
        "# e na célula de resposta: /tmp/categorias.csv",
      ].join("\n");
    },
    explicacao:
      "\\copy roda uma consulta no servidor e grava o resultado num arquivo da máquina onde o psql está. FORMAT csv separa por vírgula " +
      "(e põe entre aspas o que precisa); HEADER escreve a linha com os nomes das colunas.",
    obter: exportarComPsql,
  },
  "01.4": {
    codigo: SQL_014,
    explicacao:
      "Primeiro a limpeza, porque ADD CONSTRAINT confere as linhas existentes e recusaria a tabela suja. O WHERE apaga só as linhas " +
      "ruins; a CHECK com > 0 recusa também o preço zero.",
    obter: () => SQL_014,
  },
};
