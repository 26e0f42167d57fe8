// Queries the viewer sends to /sparql (SPARQL 1.1 Protocol, JSON results), and their results.
//
// The only values placed into query text are a thing IRI, checked by iriRef against the
// IRIREF production of the SPARQL grammar (so it cannot end the IRI early), a property name
// checked against a strict pattern, and a time the viewer formats itself.

export const TR = 'https://w3id.org/semantic-translator/ns#';
export const TRP = 'https://w3id.org/semantic-translator/property/';
export const GRAPH = 'https://w3id.org/semantic-translator/graph/';
export const SOSA = 'http://www.w3.org/ns/sosa/';

const PROLOGUE = `PREFIX tr: <${TR}>
PREFIX trp: <${TRP}>
PREFIX sosa: <${SOSA}>
PREFIX qudt: <http://qudt.org/schema/qudt/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
`;

// IRIREF ::= '<' ([^<>"{}|^`\]-[#x00-#x20])* '>' ; plus a scheme, as the store requires
const IRI_FORBIDDEN = /[<>"{}|^`\\\u0000-\u0020]/;
const IRI_SCHEME = /^[A-Za-z][A-Za-z0-9+.-]*:/;
const PROPERTY_NAME = /^[A-Za-z][A-Za-z0-9_]{0,127}$/;

/** `<iri>` for a query, or an Error when the text is not a safe absolute IRI. */
export function iriRef(iri) {
  const text = String(iri);
  if (!IRI_SCHEME.test(text) || IRI_FORBIDDEN.test(text) || text.length > 2048) {
    throw new Error(`not an IRI the viewer can query: ${JSON.stringify(text)}`);
  }
  return `<${text}>`;
}

/** `trp:name` for a property short name, or an Error. */
export function propertyRef(name) {
  if (!PROPERTY_NAME.test(String(name))) throw new Error(`not a property name: ${name}`);
  return `trp:${name}`;
}

/** An xsd:dateTime literal for a Date (formatted here, never taken from input). */
export function dateTimeLiteral(date) {
  return `"${date.toISOString()}"^^xsd:dateTime`;
}

const PLACEMENT = `OPTIONAL { ?thing tr:area ?area }
    OPTIONAL { ?thing tr:positionX ?x ; tr:positionY ?y ; tr:positionZ ?z }
    OPTIONAL { ?thing tr:model ?model }
    OPTIONAL { ?thing tr:sceneNode ?node }`;

/** Every thing of the things graph: label, types and the placement its mapping gives. */
export const THINGS_QUERY = `${PROLOGUE}SELECT ?thing ?label ?type ?area ?x ?y ?z ?model ?node WHERE {
  GRAPH <${GRAPH}things> {
    ?thing a sosa:Platform .
    OPTIONAL { ?thing rdfs:label ?label }
    OPTIONAL { ?thing a ?type FILTER(?type NOT IN (sosa:Platform, sosa:Sensor)) }
    ${PLACEMENT}
  }
}`;

/** The placements of the scene file (they win over the mappings' ones). */
export const SCENE_QUERY = `${PROLOGUE}SELECT ?thing ?area ?x ?y ?z ?model ?node WHERE {
  GRAPH <${GRAPH}scene> {
    { SELECT DISTINCT ?thing WHERE { ?thing ?p ?o } }
    ${PLACEMENT}
  }
}`;

/** The numeric history of one thing since `since`, oldest first. */
export function historyQuery(thing, since, limit = 3000) {
  const count = Math.max(1, Math.min(Math.trunc(limit), 100000));
  return `${PROLOGUE}SELECT ?property ?time ?value WHERE {
  ?obs sosa:madeBySensor ${iriRef(thing)} ;
       sosa:observedProperty ?property ;
       sosa:resultTime ?time ;
       sosa:hasResult ?result .
  ?result qudt:numericValue ?value .
  FILTER(?time >= ${dateTimeLiteral(since)})
}
ORDER BY ?time
LIMIT ${count}`;
}

/** The term of a SPARQL JSON binding as a JS value (numbers and booleans typed). */
export function termValue(term) {
  if (!term) return null;
  if (term.type !== 'literal' || !term.datatype) return term.value;
  const type = term.datatype.slice(term.datatype.lastIndexOf('#') + 1);
  if (['double', 'float', 'decimal', 'integer', 'int', 'long'].includes(type)) {
    return Number(term.value);
  }
  if (type === 'boolean') return term.value === 'true';
  return term.value;
}

/** Rows of a SPARQL JSON result as plain objects {variable: value}. */
export function rows(result) {
  return result.results.bindings.map((binding) => {
    const row = {};
    for (const [name, term] of Object.entries(binding)) row[name] = termValue(term);
    return row;
  });
}

/** Run a SELECT query; resolves to rows (see `rows`). */
export async function select(endpoint, query, { token = null, fetchImpl = fetch } = {}) {
  const headers = {
    'Content-Type': 'application/sparql-query',
    Accept: 'application/sparql-results+json',
  };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetchImpl(endpoint, { method: 'POST', headers, body: query });
  if (!response.ok) {
    const text = await response.text();
    throw new Error(`SPARQL ${response.status}: ${text.slice(0, 300)}`);
  }
  return rows(await response.json());
}

/** The last segment of a property IRI (`trp:temperature` → `temperature`). */
export function propertyName(iri) {
  return String(iri).startsWith(TRP) ? String(iri).slice(TRP.length) : String(iri);
}
