// Exercise 01.4 of lesson 01 (break and fix). A copy of the product catalogue was loaded into
// exercicios.produtos_importados without the CHECK on price, and bad rows got in. The student's
// script must remove them and add the constraint; the check re-creates the broken table, runs
// the script in a transaction, proves no valid product was lost and that bad prices are refused.
import type pg from "pg";
import { withClient } from "../db";
import { falhaDe, type FalhaSql, sqlVazio } from "./sql";
import type { Exercicio } from "./tipos";

export const TABELA_014 = "exercicios.produtos_importados";

/** The bad rows the broken load let in (ids after the catalogue's last one). */
export const LINHAS_RUINS_014 = [
  { descricao: "Brinde sem preço", valor_unit: "0.00" },
  { descricao: "Estorno lançado como produto", valor_unit: "-49.90" },
  { descricao: "Preço com sinal trocado", valor_unit: "-129.99" },
] as const;

/** (Re)creates the broken table: every product of the catalogue plus the bad rows. Idempotent. */
export async function quebrarTabela014(client: pg.ClientBase): Promise<void> {
  await client.query(`
    CREATE SCHEMA IF NOT EXISTS exercicios;
    COMMENT ON SCHEMA exercicios IS 'Tabelas de exercício do curso (caixa de areia, fora do modelo da loja).';
    DROP TABLE IF EXISTS ${TABELA_014};
    CREATE TABLE ${TABELA_014} (
      id           integer       PRIMARY KEY,
      id_categoria integer       NOT NULL,
      descricao    varchar(100)  NOT NULL,
      valor_unit   numeric(10,2) NOT NULL
    );
    INSERT INTO ${TABELA_014} SELECT id, id_categoria, descricao, valor_unit FROM public.produtos;`);
  await client.query(
    `INSERT INTO ${TABELA_014} (id, id_categoria, descricao, valor_unit)
     SELECT (SELECT max(id) FROM public.produtos) + n, 1, d, v::numeric
       FROM unnest($1::text[], $2::text[]) WITH ORDINALITY AS r(d, v, n)`,
    [LINHAS_RUINS_014.map((l) => l.descricao), LINHAS_RUINS_014.map((l) => l.valor_unit)],
  );
}

/** Breaks the table for the student to look at; returns the bad rows as they are now. */
export async function prepararExercicio014(): Promise<Record<string, unknown>[]> {
  return withClient("oltp", async (client) => {
    await quebrarTabela014(client);
    return (await client.query(`SELECT * FROM ${TABELA_014} WHERE valor_unit <= 0 ORDER BY id`)).rows;
  });
}

interface Analise014 {
  script: string;
  comTransacao: boolean;
  falha?: FalhaSql;
  /** Valid products of the catalogue missing or changed in the table after the script. */
  perdidos: number;
  /** Rows whose id is one of the bad rows', still in the table (deleted or not, fixed or not). */
  ruinsRestantes: number;
  /** Rows with a price <= 0 still in the table. */
  precoInvalido: number;
  aceitaZero: boolean;
  aceitaNegativo: boolean;
  /** Name of the constraint that refused a negative price, if one did. */
  restricao?: string;
}

/** Does the table accept this price now? Tried under a savepoint, so nothing stays. */
async function aceita(client: pg.ClientBase, preco: string): Promise<{ aceito: boolean; restricao?: string }> {
  await client.query("SAVEPOINT tentativa");
  try {
    await client.query(`INSERT INTO ${TABELA_014} VALUES (-1, 1, 'teste da verificação', $1)`, [preco]);
    return { aceito: true };
  } catch (err) {
    return { aceito: false, restricao: falhaDe(err).sqlstate === "23514" ? falhaDe(err).restricao : undefined };
  } finally {
    await client.query("ROLLBACK TO SAVEPOINT tentativa");
  }
}

async function analisar014(script: string): Promise<Analise014> {
  const comTransacao = /\b(BEGIN|COMMIT|ROLLBACK|START\s+TRANSACTION)\b/i.test(script.replace(/--[^\n]*/g, ""));
  const vazio = { script, comTransacao, perdidos: 0, ruinsRestantes: 0, precoInvalido: 0, aceitaZero: true, aceitaNegativo: true };
  if (comTransacao) return vazio;
  return withClient("oltp", async (client) => {
    await client.query("BEGIN");
    let ok = false;
    try {
      await client.query("SET LOCAL statement_timeout = '20s'");
      await quebrarTabela014(client);
      try {
        await client.query(script);
      } catch (err) {
        return { ...vazio, falha: falhaDe(err) };
      }
      const { rows } = await client.query<{ perdidos: number; ruins: number; invalidos: number }>(`
        SELECT (SELECT count(*) FROM public.produtos p
                 WHERE NOT EXISTS (SELECT 1 FROM ${TABELA_014} t WHERE t.id = p.id AND t.id_categoria = p.id_categoria
                                     AND t.descricao = p.descricao AND t.valor_unit = p.valor_unit))::int AS perdidos,
               (SELECT count(*) FROM ${TABELA_014} WHERE id > (SELECT max(id) FROM public.produtos))::int AS ruins,
               (SELECT count(*) FROM ${TABELA_014} WHERE valor_unit <= 0)::int AS invalidos`);
      const zero = await aceita(client, "0");
      const negativo = await aceita(client, "-1");
      const r = rows[0]!;
      const analise = {
        ...vazio,
        perdidos: r.perdidos,
        ruinsRestantes: r.ruins,
        precoInvalido: r.invalidos,
        aceitaZero: zero.aceito,
        aceitaNegativo: negativo.aceito,
        restricao: negativo.restricao,
      };
      ok = correto014(analise);
      return analise;
    } finally {
      // A fix that works stays (the student sees the table repaired); anything else is undone.
      await client.query(ok ? "COMMIT" : "ROLLBACK");
    }
  });
}

const correto014 = (a: Analise014) =>
  !a.falha &&
  !a.comTransacao &&
  a.perdidos === 0 &&
  a.ruinsRestantes === 0 &&
  !a.aceitaZero &&
  !a.aceitaNegativo &&
  a.restricao !== undefined;

export const exercicio014: Exercicio<string, Analise014> = {
  id: "01.4",
  aula: "01",
  tipo: "quebrar-e-consertar",
  titulo: "Uma carga sem CHECK deixou entrar preço inválido",
  objetivo:
    "Consertar dados ruins sem perder os bons e fechar a porta por onde eles entraram: uma restrição CHECK, que o PostgreSQL confere " +
    "em toda linha gravada.",
  tarefa:
    `A tabela ${TABELA_014} recebeu o catálogo inteiro, mas foi criada sem a regra valor_unit > 0 e entraram 3 linhas com preço zero ` +
    "ou negativo (a célula logo abaixo as mostra). Escreva um script SQL que (1) apague as linhas com preço inválido e (2) acrescente uma " +
    "restrição CHECK que recuse preço zero ou negativo daqui em diante.",
  pronto:
    "nenhum produto válido perdido ou alterado, nenhuma linha com preço ≤ 0, e um INSERT com preço 0 ou negativo é recusado por uma CHECK. " +
    "(A verificação recria a tabela quebrada e roda seu script numa transação, então pode rodar quantas vezes quiser.)",
  dicas: [
    "São dois comandos, nesta ordem: primeiro limpar (DELETE … WHERE …), depois a regra (ALTER TABLE … ADD CONSTRAINT …).",
    "Por que a ordem importa? Ao criar uma CHECK, o PostgreSQL confere todas as linhas que já existem.",
    `DELETE FROM ${TABELA_014} WHERE valor_unit <= 0; ALTER TABLE ${TABELA_014} ADD CONSTRAINT produtos_importados_valor_unit_check CHECK (…);`,
  ],
  semResposta: sqlVazio,
  analisar: analisar014,
  correto: correto014,
  parabens: (a) =>
    `Consertado: nenhum produto válido perdido, as linhas ruins saíram e a restrição ${a.restricao} recusa preço zero ou negativo. ` +
    "É por isso que o modelo da loja nasce com as CHECKs: dado ruim barrado na entrada não precisa de faxina depois.",
  errosTipicos: [
    {
      codigo: "transacao-no-script",
      reconhece: (a) => a.comTransacao,
      explicar: () =>
        "Tire o BEGIN/COMMIT/ROLLBACK do script: a verificação já roda tudo numa transação (e a desfaz se algo der errado). Um COMMIT " +
        "no meio gravaria metade do conserto.",
    },
    {
      codigo: "restricao-antes-da-limpeza",
      reconhece: (a) => a.falha?.sqlstate === "23514",
      explicar: (a) =>
        "O PostgreSQL recusou criar a restrição porque as linhas ruins ainda estão lá: ao acrescentar uma CHECK, ele confere toda a tabela. " +
        `Limpe primeiro (DELETE), depois crie a restrição.\nO PostgreSQL disse: ${a.falha!.mensagem}`,
    },
    {
      codigo: "apagou-demais",
      reconhece: (a) => !a.falha && a.perdidos > 0,
      explicar: (a) =>
        `Sumiram (ou mudaram) ${a.perdidos} produtos válidos do catálogo. Consertar não pode custar dado bom: apague só as linhas com ` +
        "preço inválido (WHERE valor_unit <= 0) — e desconfie de todo DELETE sem WHERE.",
    },
    {
      codigo: "not-valid-deixou-as-ruins",
      reconhece: (a) => !a.falha && a.precoInvalido > 0 && !a.aceitaNegativo,
      explicar: (a) =>
        `A restrição existe, mas ainda há ${a.precoInvalido} linha(s) com preço ≤ 0: uma CHECK criada com NOT VALID só vale para ` +
        "linhas novas. Apague as ruins antes (e crie a restrição sem NOT VALID, para o PostgreSQL conferir tudo).",
    },
    {
      codigo: "inventou-preco",
      reconhece: (a) => !a.falha && a.ruinsRestantes > 0 && a.precoInvalido === 0,
      explicar: (a) =>
        `As ${a.ruinsRestantes} linhas ruins continuam na tabela, agora com preço positivo: corrigir com UPDATE inventa um preço que ` +
        "ninguém informou. Essas linhas não existem no catálogo — apague-as.",
    },
    {
      codigo: "so-limpou",
      reconhece: (a) => !a.falha && a.precoInvalido === 0 && a.aceitaNegativo,
      explicar: () =>
        "A tabela está limpa, mas nada impede a próxima carga de trazer preço negativo de novo: falta a regra. " +
        "Acrescente ALTER TABLE … ADD CONSTRAINT … CHECK (valor_unit > 0).",
    },
    {
      codigo: "aceita-zero",
      reconhece: (a) => !a.falha && !a.aceitaNegativo && a.aceitaZero,
      explicar: () =>
        "Preço negativo é recusado, mas preço zero ainda passa: a regra do modelo é valor_unit > 0 (maior, não maior ou igual). " +
        "Um produto de preço zero foi justamente uma das linhas ruins.",
    },
  ],
  mensagemGenerica: (a) =>
    a.falha
      ? `O script falhou no PostgreSQL: ${a.falha.mensagem}. Rode os comandos um a um (psql ou await query("oltp", …)) para achar qual.`
      : `Ainda não: produtos válidos perdidos ${a.perdidos}, linhas ruins restantes ${a.ruinsRestantes}, preço 0 ` +
        `${a.aceitaZero ? "aceito" : "recusado"}, preço negativo ${a.aceitaNegativo ? "aceito" : "recusado"}${a.restricao ? "" : " (por uma CHECK? não)"}.`,
};
