// What the capture is, as versioned in debezium-init/: the connector's name and JSON config, and
// the tables it captures (the domain's six OLTP tables).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { config } from "../config";
import { TABELAS_OLTP } from "../dominio";
import { ErroLiga } from "../erros";

/** Name of the kit's connector in Kafka Connect (also "name" in debezium-init/conector-oltp.json). */
export const CONECTOR: string = "liga-sudoers-oltp";

/** The six OLTP tables the connector captures (the publication and table.include.list hold exactly these). */
export const TABELAS_CAPTURADAS = TABELAS_OLTP;

export interface DefinicaoConector {
  name: string;
  config: Record<string, string>;
}

/** debezium-init/: the connector JSON and the SQL that prepares PostgreSQL for it. */
export const pastaInit = (): string => join(config().root, "debezium-init");

/** The connector as versioned in debezium-init/conector-oltp.json (placeholders ${env:…} unresolved). */
export function definicaoConector(): DefinicaoConector {
  const arquivo = join(pastaInit(), "conector-oltp.json");
  const def = JSON.parse(readFileSync(arquivo, "utf8")) as DefinicaoConector;
  if (def.name !== CONECTOR) throw new ErroLiga(`${arquivo}: "name" deveria ser ${CONECTOR}, não ${def.name}.`);
  return def;
}
