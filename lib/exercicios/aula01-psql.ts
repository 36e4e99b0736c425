// Exercise 01.3 of lesson 01 (a real tool: psql). The student exports the category catalogue to a
// CSV file with psql's \copy; the check reads the file and compares it with the live table.
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute } from "node:path";
import { config } from "../config";
import { consultaDoAluno, normalizar } from "./sql";
import { lerCsv } from "./texto";
import type { Exercicio } from "./tipos";

/** The psql command line to the OLTP, from the kit's single configuration (.env.example, .env). */
export function comandoPsql(): string {
  const { oltp } = config();
  return `psql -h ${oltp.host} -p ${oltp.port} -U ${oltp.user} -d ${oltp.database}`;
}

/** What the student needs to connect (shown by prepararExercicio("01.3")). */
export function comoConectar(): string {
  return `No terminal, conecte ao OLTP com:\n  ${comandoPsql()}\n(a senha é ${config().oltp.password}; tudo isso vem da configuração do kit, .env.example e o seu .env)`;
}

interface Analise013 {
  caminho: string;
  absoluto: boolean;
  existe: boolean;
  texto: string;
  linhas: string[][];
  /** id, descricao of every category, by id (live). */
  referencia: [number, string][];
}

const cabecalhoOk = (l: string[] | undefined) => l !== undefined && l.length === 2 && l[0]!.trim() === "id" && l[1]!.trim() === "descricao";

/** Data rows of the file (after the header), as [id, descricao]. */
const dados = (a: Analise013) => a.linhas.slice(1).filter((l) => l.some((c) => c !== ""));

function diferencaDosDados(a: Analise013): string | undefined {
  const linhas = dados(a);
  if (linhas.length !== a.referencia.length) return `o arquivo tem ${linhas.length} categorias; o banco tem ${a.referencia.length}`;
  const i = a.referencia.findIndex(([id, descricao], k) => normalizar(linhas[k]![0]) !== id || linhas[k]![1] !== descricao);
  return i < 0 ? undefined : `linha ${i + 2} do arquivo: "${linhas[i]!.join(",")}", esperado "${a.referencia[i]!.join(",")}"`;
}

export const exercicio013: Exercicio<string, Analise013> = {
  id: "01.3",
  aula: "01",
  tipo: "ferramenta",
  titulo: "Exporte o catálogo com o psql",
  objetivo:
    "Usar o psql, o cliente de linha de comando do PostgreSQL, como se usa no trabalho: conectar, consultar e exportar um CSV " +
    "(valores separados por vírgula, o formato que toda planilha abre) com \\copy.",
  tarefa:
    "Abra um terminal no JupyterLab (File → New → Terminal), conecte ao OLTP com o comando psql que a célula abaixo mostra " +
    "e exporte as colunas id e descricao de TODAS as categorias, na ordem do id, para um arquivo CSV com cabeçalho, " +
    "por exemplo /tmp/categorias.csv. Depois escreva o caminho ABSOLUTO do arquivo na célula de resposta.",
  pronto: "o arquivo existe, é um CSV com o cabeçalho id,descricao e uma linha por categoria, igual ao banco agora.",
  dicas: [
    "No psql, \\copy (uma consulta) TO 'arquivo' grava o resultado no computador onde o psql roda. (COPY sem a barra grava no servidor.)",
    "O formato padrão do \\copy é texto separado por TAB; para CSV com cabeçalho, termine com WITH (FORMAT csv, HEADER).",
    "\\copy (SELECT id, descricao FROM categorias ORDER BY id) TO '/tmp/categorias.csv' WITH (FORMAT csv, HEADER)",
  ],
  semResposta: (r) => typeof r !== "string" || r.trim() === "",
  analisar: async (caminho) => {
    const c = caminho.trim();
    const existe = isAbsolute(c) && existsSync(c) && statSync(c).isFile();
    const texto = existe ? readFileSync(c, "utf8") : "";
    const ref = await consultaDoAluno("SELECT id, descricao FROM categorias ORDER BY id");
    return {
      caminho: c,
      absoluto: isAbsolute(c),
      existe,
      texto,
      linhas: lerCsv(texto),
      referencia: ref.linhas.map((l) => [Number(l[0]), String(l[1])] as [number, string]),
    };
  },
  correto: (a) => a.existe && cabecalhoOk(a.linhas[0]) && diferencaDosDados(a) === undefined,
  parabens: (a) =>
    `Arquivo ${a.caminho} conferido: cabeçalho id,descricao e as ${a.referencia.length} categorias do banco. ` +
    "O \\copy é o jeito do dia a dia de tirar (ou pôr, com FROM) dados de uma tabela sem escrever programa nenhum.",
  errosTipicos: [
    {
      codigo: "caminho-relativo",
      reconhece: (a) => !a.absoluto,
      explicar: (a) =>
        `"${a.caminho}" é um caminho relativo: ele depende da pasta em que cada programa está (o psql no terminal e o notebook ` +
        "rodam em pastas diferentes). Use um caminho absoluto, que começa com /, como /tmp/categorias.csv — no \\copy e aqui.",
    },
    {
      codigo: "arquivo-nao-encontrado",
      reconhece: (a) => !a.existe,
      explicar: (a) =>
        `Não encontrei o arquivo ${a.caminho}. O \\copy (com barra) grava na máquina onde o psql roda; sem a barra, COPY tentaria ` +
        "gravar no servidor do banco (e, sem permissão de superusuário, falha). Rode o psql no terminal do JupyterLab e confira com " +
        "ls -l no mesmo caminho.",
    },
    {
      codigo: "formato-texto",
      reconhece: (a) => (a.linhas[0]?.[0] ?? "").includes("\t"),
      explicar: () =>
        "O arquivo está separado por TAB: é o formato padrão (text) do \\copy. Para CSV, acrescente WITH (FORMAT csv, HEADER) ao comando.",
    },
    {
      codigo: "sem-cabecalho",
      reconhece: (a) => a.linhas[0] !== undefined && /^\d+$/.test(a.linhas[0][0]!.trim()),
      explicar: () =>
        "A primeira linha já é uma categoria: falta o cabeçalho (a linha com os nomes das colunas). Acrescente HEADER: WITH (FORMAT csv, HEADER).",
    },
    {
      codigo: "colunas-a-mais",
      reconhece: (a) => (a.linhas[0]?.length ?? 0) > 2 && a.linhas[0]!.includes("id") && a.linhas[0]!.includes("descricao"),
      explicar: (a) =>
        `O arquivo tem as colunas ${a.linhas[0]!.join(", ")}; a tarefa pede só id e descricao. \\copy categorias TO … exporta a tabela ` +
        "inteira; para escolher colunas, exporte uma consulta: \\copy (SELECT id, descricao FROM categorias ORDER BY id) TO ….",
    },
  ],
  mensagemGenerica: (a) =>
    cabecalhoOk(a.linhas[0])
      ? `O cabeçalho está certo, mas ${diferencaDosDados(a)}. Exportou todas as categorias, na ordem do id (ORDER BY id)?`
      : `A primeira linha do arquivo é "${(a.linhas[0] ?? []).join(",")}"; o esperado é o cabeçalho "id,descricao".`,
};
