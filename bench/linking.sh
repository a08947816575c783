#!/usr/bin/env bash
# Biographic linking of departure manifests at national scale (issue 13).
# Builds and installs bxexit, starts a throwaway cluster on port 54360 and
# generates, with set-based SQL:
#   - person: --people people (default 10,000,000), names drawn with a
#     skewed (Zipf-like) distribution from ~150 family and ~110 given name
#     groups, each group holding its spellings (diacritics, transliteration
#     variants: Müller/Mueller/Muller, Mohammed/Muhammad/Mohamed), dates of
#     birth 1940-2008, 40 citizenships (skewed); one passport each
#     (issuing country = citizenship, dense numbers, so a mistyped number
#     is usually someone else's);
#   - a national day of departures: --rows manifest rows (default 300,000)
#     on 1,500 flights, 92% of known people and 8% of people not on record,
#     with noise: document exact 70%, missing 12%, another (new) document
#     10%, one digit mistyped 8%; names as on the document (MRZ upper case
#     without diacritics for half), 12% another spelling of the name group,
#     10% one or two typing errors, 5% family and given names swapped, 4%
#     another spelling plus a typo; 0.5% a mistyped date of birth.
# The generator's truth (who each row is) is kept.  Then the manifests are
# staged (COPY from a CSV), loaded (bx_load_departure_manifests) and linked
# (bx_link_departures, timed), and the links are scored against the truth:
# links per tier, false links (a person who is not the passenger), missed
# links (a passenger on record left unlinked).  Prints markdown, also saved
# to bench/out/.
#
#   bash bench/linking.sh [--people N] [--rows N] [--no-build]
set -euo pipefail

people=10000000
rows=300000
build=1
args="$*"
while [ $# -gt 0 ]; do
	case $1 in
	--people) people=$2; shift 2 ;;
	--rows) rows=$2; shift 2 ;;
	--no-build) build=0; shift ;;
	*) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
	esac
done
for v in "$people" "$rows"; do
	[[ $v =~ ^[1-9][0-9]*$ ]] || { echo "linking.sh: not a positive number: $v" >&2; exit 2; }
done

# shellcheck source=../scripts/common.sh
source "$(dirname "$0")/../scripts/common.sh"
cd "$BX_ROOT"
if [ "$build" -eq 1 ]; then
	bx_install_packages
	bx_build_install
fi
export BX_PGPORT=${BX_PGPORT:-54360}
export BX_SERVER_OPTS="-c shared_buffers=4GB -c maintenance_work_mem=1GB -c work_mem=256MB -c max_wal_size=20GB -c checkpoint_timeout=30min -c max_parallel_maintenance_workers=2 -c synchronous_commit=off -c wal_level=minimal -c max_wal_senders=0 ${BX_SERVER_OPTS:-}"
trap bx_cluster_stop EXIT
bx_cluster_start
mkdir -p bench/out
out=bench/out/linking-$(date -u +%Y%m%dT%H%MZ).md
csv=$BX_TMP/manifests.csv
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

t0=$(date +%s.%N)
secs() { printf '%.1f' "$(echo "$(date +%s.%N) - $1" | bc)"; }
bx_log "generating $people people with passports"
"${PSQL[@]}" -v people="$people" <<'SQL'
CREATE EXTENSION bxexit;
CREATE SCHEMA bench;
-- name groups: the first spelling is the one on record
CREATE TABLE bench.family (id int PRIMARY KEY, spellings text[]);
CREATE TABLE bench.given (id int PRIMARY KEY, spellings text[]);
INSERT INTO bench.family SELECT row_number() OVER (), s FROM (VALUES
 ('{Müller,Mueller,Muller}'::text[]), ('{Nguyễn,Nguyen}'), ('{Smith}'), ('{García,Garcia}'), ('{Kim}'),
 ('{Wang}'), ('{Li}'), ('{Zhang}'), ('{Khan}'), ('{Singh}'), ('{Kumar}'), ('{Rodríguez,Rodriguez}'),
 ('{González,Gonzalez}'), ('{Hernández,Hernandez}'), ('{López,Lopez}'), ('{Martínez,Martinez}'),
 ('{Pérez,Perez}'), ('{Sánchez,Sanchez}'), ('{Ramírez,Ramirez}'), ('{Cruz}'), ('{Johnson}'),
 ('{Williams}'), ('{Brown}'), ('{Jones}'), ('{Miller}'), ('{Davis}'), ('{Wilson}'), ('{Anderson}'),
 ('{Taylor}'), ('{Thomas}'), ('{Moore}'), ('{Martin}'), ('{Jackson}'), ('{Thompson}'), ('{White}'),
 ('{Harris}'), ('{Clark}'), ('{Lewis}'), ('{Robinson}'), ('{Walker}'), ('{Schmidt,Schmitt}'),
 ('{Schneider}'), ('{Fischer}'), ('{Weber}'), ('{Meyer,Meier,Maier}'), ('{Wagner}'), ('{Becker}'),
 ('{Schulz}'), ('{Hoffmann,Hofmann}'), ('{Schäfer,Schaefer,Schafer}'), ('{Koch}'), ('{Bauer}'),
 ('{Richter}'), ('{Klein}'), ('{Wolf}'), ('{Schröder,Schroeder,Schroder}'), ('{Neumann}'),
 ('{Schwarz}'), ('{Zimmermann}'), ('{Braun}'), ('{Krüger,Krueger,Kruger}'), ('{Hofer}'),
 ('{Gruber}'), ('{Huber}'), ('{Dubois}'), ('{Lefèvre,Lefevre}'), ('{Moreau}'), ('{Laurent}'),
 ('{Girard}'), ('{Rousseau}'), ('{Fontaine}'), ('{Chevalier}'), ('{François,Francois}'),
 ('{Rossi}'), ('{Russo}'), ('{Ferrari}'), ('{Esposito}'), ('{Bianchi}'), ('{Romano}'), ('{Colombo}'),
 ('{Ricci}'), ('{Marino}'), ('{Greco}'), ('{Conti}'), ('{De Luca,DeLuca}'), ('{Silva}'),
 ('{Santos}'), ('{Ferreira}'), ('{Pereira}'), ('{Oliveira}'), ('{Costa}'), ('{Gonçalves,Goncalves}'),
 ('{Nowak}'), ('{Kowalski}'), ('{Wiśniewski,Wisniewski}'), ('{Wójcik,Wojcik}'),
 ('{Kowalczyk}'), ('{Kamiński,Kaminski}'), ('{Lewandowski}'), ('{Zieliński,Zielinski}'),
 ('{Szymański,Szymanski}'), ('{Dąbrowski,Dabrowski}'), ('{Novák,Novak}'), ('{Dvořák,Dvorak}'),
 ('{Horváth,Horvath}'), ('{Nagy}'), ('{Tóth,Toth}'), ('{Szabó,Szabo}'), ('{Yılmaz,Yilmaz}'),
 ('{Kaya}'), ('{Demir}'), ('{Şahin,Sahin}'), ('{Çelik,Celik}'), ('{Öztürk,Ozturk,Oeztuerk}'),
 ('{Ivanov,Ivanoff}'), ('{Smirnov,Smirnoff}'), ('{Kuznetsov,Kuznetsoff,Kouznetsov}'),
 ('{Popov}'), ('{Sokolov}'), ('{Petrov}'), ('{Shevchenko,Chevtchenko}'), ('{Kovalenko}'),
 ('{Bondarenko}'), ('{Tkachenko}'), ('{Al-Hassan,Al Hassan,Alhassan}'), ('{Abdullah,Abdallah}'),
 ('{Haddad}'), ('{Mansour,Mansur}'), ('{Ibrahim}'), ('{Hussein,Husain,Hussain}'),
 ('{Rahman}'), ('{Ahmed,Ahmad}'), ('{Ali}'), ('{Chowdhury,Choudhury}'), ('{Patel}'), ('{Shah}'),
 ('{Gupta}'), ('{Sharma}'), ('{Das}'), ('{Reddy}'), ('{Tanaka}'), ('{Suzuki}'), ('{Satō,Sato,Satou}'),
 ('{Takahashi}'), ('{Watanabe}'), ('{Itō,Ito,Itou}'), ('{Yamamoto}'), ('{Nakamura}'),
 ('{Park}'), ('{Lee,Yi,Rhee}'), ('{Choi}'), ('{Jung,Chung}'), ('{Chen}'), ('{Liu}'), ('{Yang}'),
 ('{Huang}'), ('{Zhao}'), ('{Wu}'), ('{Zhou}'), ('{Okafor}'), ('{Adeyemi}'), ('{Mensah}'),
 ('{Okonkwo}'), ('{Nielsen}'), ('{Jensen}'), ('{Hansen}'), ('{Søren,Soeren,Soren}'),
 ('{Johansson}'), ('{Andersson}'), ('{Karlsson}'), ('{Nilsson}'), ('{Virtanen}'), ('{Korhonen}'),
 ('{O''Brien,OBrien}'), ('{O''Connor,OConnor}'), ('{Murphy}'), ('{Kelly}'), ('{Byrne}'),
 ('{Papadopoulos}'), ('{Georgiou}'), ('{Cohen,Kohen}'), ('{Levi,Levy}'), ('{Mizrahi}')) v(s);
INSERT INTO bench.given SELECT row_number() OVER (), s FROM (VALUES
 ('{Mohammed,Muhammad,Mohamed,Mohammad}'::text[]), ('{Jürgen,Juergen,Jurgen}'), ('{José,Jose}'),
 ('{María,Maria}'), ('{Anna,Ana}'), ('{John,Jon}'), ('{James}'), ('{Robert}'), ('{Michael,Michel}'),
 ('{William}'), ('{David}'), ('{Richard}'), ('{Joseph,Josef}'), ('{Thomas,Tomas}'), ('{Charles}'),
 ('{Mary}'), ('{Patricia}'), ('{Jennifer}'), ('{Linda}'), ('{Elizabeth,Elisabeth}'),
 ('{Barbara}'), ('{Susan}'), ('{Jessica}'), ('{Sarah,Sara}'), ('{Karen}'), ('{Wei}'), ('{Jing}'),
 ('{Li}'), ('{Min}'), ('{Yan}'), ('{Hui}'), ('{Jun}'), ('{Ji-woo,Jiwoo,Ji Woo}'),
 ('{Seo-yeon,Seoyeon}'), ('{Min-jun,Minjun}'), ('{Hiroshi}'), ('{Yuki}'), ('{Haruto}'),
 ('{Sakura}'), ('{Rahul}'), ('{Priya}'), ('{Amit}'), ('{Sunita}'), ('{Ahmed,Ahmad}'),
 ('{Fatima,Fatma}'), ('{Aisha,Aysha,Ayesha}'), ('{Omar,Umar}'), ('{Ali}'), ('{Hassan,Hasan}'),
 ('{Hussein,Husein}'), ('{Yusuf,Youssef,Yousef}'), ('{Khalid,Khaled}'), ('{Abdul}'),
 ('{Ibrahim,Ebrahim}'), ('{Zeynep}'), ('{Mehmet,Mehmed}'), ('{Mustafa}'), ('{Ayşe,Ayse}'),
 ('{Hans}'), ('{Klaus}'), ('{Günter,Guenter,Gunter}'), ('{Jörg,Joerg,Jorg}'),
 ('{Uwe}'), ('{Stefan,Stephan}'), ('{Andreas}'), ('{Matthias}'), ('{Sören,Soeren,Soren}'),
 ('{Björn,Bjoern,Bjorn}'), ('{Åsa,Asa,Aasa}'), ('{Lars}'), ('{Erik,Eric}'), ('{Ingrid}'),
 ('{François,Francois}'), ('{Jean-Pierre,Jean Pierre,Jeanpierre}'), ('{Hélène,Helene}'),
 ('{Chloé,Chloe}'), ('{Amélie,Amelie}'), ('{Zoë,Zoe}'), ('{Noël,Noel}'), ('{Giuseppe}'),
 ('{Giovanni}'), ('{Francesca}'), ('{Alessandro}'), ('{João,Joao}'), ('{Gonçalo,Goncalo}'),
 ('{Łukasz,Lukasz}'), ('{Paweł,Pawel}'), ('{Małgorzata,Malgorzata}'), ('{Wojciech}'),
 ('{Jiří,Jiri}'), ('{Tomáš,Tomas}'), ('{Zoltán,Zoltan}'), ('{Dmitri,Dmitry,Dmitrii}'),
 ('{Sergei,Sergey,Serguei}'), ('{Aleksandr,Alexandr,Alexander}'), ('{Yekaterina,Ekaterina}'),
 ('{Olena,Elena,Yelena}'), ('{Natalia,Nataliya,Natalya}'), ('{Oleksandr,Olexandr}'),
 ('{Chukwuemeka}'), ('{Oluwaseun}'), ('{Kwame}'), ('{Ama}'), ('{Siobhán,Siobhan}'),
 ('{Seán,Sean}'), ('{Niamh}'), ('{Dimitrios}'), ('{Eleni}'), ('{Yosef,Yossef}'), ('{Miriam}'),
 ('{Avraham,Abraham}')) v(s);
CREATE TABLE bench.country (id int PRIMARY KEY, code text);
INSERT INTO bench.country SELECT row_number() OVER (), c FROM unnest(ARRAY['MEX', 'IND', 'CHN', 'GBR',
 'DEU', 'CAN', 'FRA', 'KOR', 'JPN', 'BRA', 'ITA', 'ESP', 'PHL', 'VNM', 'COL', 'NGA', 'PAK', 'TUR',
 'POL', 'RUS', 'UKR', 'ISR', 'IRL', 'NLD', 'SWE', 'DNK', 'AUS', 'ARG', 'PER', 'EGY', 'SAU', 'ARE',
 'BGD', 'GHA', 'PRT', 'GRC', 'CZE', 'HUN', 'AUT', 'FIN']) c;

-- the indexes the linker uses are built after the load, with parallel workers
CREATE TABLE bench.index_defs AS
SELECT indexrelid::regclass::text AS name, pg_get_indexdef(indexrelid) AS def
  FROM pg_index WHERE indexrelid::regclass::text IN ('bxexit.person_birth_name_idx',
       'bxexit.person_birth_citizenship_idx', 'bxexit.person_citizenship_idx',
       'bxexit.travel_document_number_idx', 'bxexit.travel_document_person_idx');
DROP INDEX bxexit.person_birth_name_idx, bxexit.person_birth_citizenship_idx, bxexit.person_citizenship_idx,
	bxexit.travel_document_number_idx, bxexit.travel_document_person_idx;

-- skewed picks: index floor(n * u^1.6) + 1 favours the first names of a list
\timing on
INSERT INTO bxexit.person (family_name, given_names, date_of_birth, sex, citizenship)
SELECT f.spellings[1], CASE WHEN random() < 0.15 THEN g.spellings[1] || ' ' || g2.spellings[1] ELSE g.spellings[1] END,
       DATE '1940-01-01' + (random() * 25000)::int, CASE WHEN random() < 0.5 THEN 'F' ELSE 'M' END, c.code
  FROM (SELECT i, floor(183 * random() ^ 1.6)::int + 1 AS fi, floor(112 * random() ^ 1.6)::int + 1 AS gi,
               floor(112 * random() ^ 1.6)::int + 1 AS gi2, floor(40 * random() ^ 1.8)::int + 1 AS ci
          FROM generate_series(1, :people) i) r
  JOIN bench.family f ON f.id = least(r.fi, (SELECT max(id) FROM bench.family))
  JOIN bench.given g ON g.id = least(r.gi, (SELECT max(id) FROM bench.given))
  JOIN bench.given g2 ON g2.id = least(r.gi2, (SELECT max(id) FROM bench.given))
  JOIN bench.country c ON c.id = r.ci;
INSERT INTO bxexit.travel_document (person_id, document_type, document_number, issuing_country)
SELECT p.person_id, 'passport', lpad(p.person_id::text, 9, '0'), p.citizenship FROM bxexit.person p;
SQL
t_people=$(secs "$t0")
bx_log "people: ${t_people}s; building indexes"
t1=$(date +%s.%N)
"${PSQL[@]}" -At -c "SELECT def FROM bench.index_defs" | while read -r def; do
	"${PSQL[@]}" -c "$def"
done
"${PSQL[@]}" -c "VACUUM ANALYZE bxexit.person" -c "VACUUM ANALYZE bxexit.travel_document"
t_index=$(secs "$t1")
sizes=$("${PSQL[@]}" -At -c "SELECT string_agg(format('%s %s', c.relname, pg_size_pretty(pg_relation_size(c.oid))), ', ' ORDER BY c.relname)
	FROM pg_class c WHERE c.relnamespace = 'bxexit'::regnamespace AND c.relname IN ('person', 'travel_document',
	'person_birth_name_idx', 'person_birth_citizenship_idx', 'travel_document_number_idx')")
bx_log "indexes: ${t_index}s ($sizes)"

bx_log "generating $rows manifest rows with noise"
t2=$(date +%s.%N)
"${PSQL[@]}" -v rows="$rows" -v people="$people" <<'SQL'
-- one to two typing errors: substitution, deletion, insertion or transposition
CREATE FUNCTION bench.typo(s text, n int) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	p int;
	op int;
BEGIN
	FOR k IN 1..n LOOP
		IF length(s) < 3 THEN RETURN s; END IF;
		p := 2 + floor(random() * (length(s) - 2))::int;
		op := floor(random() * 4)::int;
		s := CASE op
			WHEN 0 THEN overlay(s placing chr(65 + floor(random() * 26)::int) from p for 1)
			WHEN 1 THEN overlay(s placing '' from p for 1)
			WHEN 2 THEN overlay(s placing chr(65 + floor(random() * 26)::int) from p for 0)
			ELSE overlay(s placing substr(s, p + 1, 1) || substr(s, p, 1) from p for 2) END;
	END LOOP;
	RETURN s;
END
$$;
-- MRZ style: upper case, no diacritics (as a document reader sends it)
CREATE FUNCTION bench.mrz(s text) RETURNS text LANGUAGE sql IMMUTABLE
	RETURN upper(regexp_replace(normalize(s, NFD), '[\u0300-\u036f]', '', 'g'));
-- another spelling of a name from its group, when it has one
CREATE FUNCTION bench.variant(s text, groups text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	sp text[];
BEGIN
	IF groups = 'family' THEN
		SELECT f.spellings INTO sp FROM bench.family f WHERE f.spellings[1] = s;
	ELSE
		SELECT g.spellings INTO sp FROM bench.given g WHERE g.spellings[1] = split_part(s, ' ', 1);
		IF sp IS NOT NULL AND array_length(sp, 1) > 1 THEN
			RETURN sp[2 + floor(random() * (array_length(sp, 1) - 1))::int]
				   || CASE WHEN position(' ' in s) > 0 THEN substr(s, position(' ' in s)) ELSE '' END;
		END IF;
		RETURN s;
	END IF;
	IF sp IS NULL OR array_length(sp, 1) < 2 THEN RETURN s; END IF;
	RETURN sp[2 + floor(random() * (array_length(sp, 1) - 1))::int];
END
$$;

CREATE TABLE bench.flights AS
SELECT i AS n, (ARRAY['AA','UA','DL','BA','LH','AF','KL','EK','QR','TK','JL','NH','KE','AC','AM','IB','LX','OS','SK','EI'])[1 + i % 20] AS carrier,
       (100 + i)::text AS flight_number,
       (ARRAY['JFK','LAX','ORD','MIA','IAD','SFO','ATL','BOS','SEA','IAH'])[1 + i % 10] AS dep,
       (ARRAY['LHR','FRA','CDG','AMS','NRT','ICN','DXB','IST','MEX','GRU','DEL','PEK'])[1 + i % 12] AS arr
  FROM generate_series(0, 1499) i;

-- truth: who each passenger is (NULL: not on record), and the noise applied
CREATE TABLE bench.truth AS
SELECT r.line, CASE WHEN r.known THEN p.person_id END AS person_id, r.flight, r.name_noise, r.doc_noise,
       r.dob_noise,
       coalesce(p.family_name, nf.spellings[1]) AS family_name,
       coalesce(p.given_names, ng.spellings[1]) AS given_names,
       coalesce(p.date_of_birth, DATE '1940-01-01' + (random() * 25000)::int) AS date_of_birth,
       coalesce(p.sex, 'M') AS sex, coalesce(p.citizenship, nc.code) AS citizenship,
       coalesce(d.document_number, 'X' || lpad(r.line::text, 8, '0')) AS document_number,
       r.mrz
  FROM (SELECT i AS line, random() < 0.92 AS known, 1 + floor(random() * :people)::int8 AS pid,
               floor(random() * 1500)::int AS flight,
               CASE WHEN u < 0.65 THEN 'exact' WHEN u < 0.77 THEN 'variant' WHEN u < 0.87 THEN 'typo'
                    WHEN u < 0.92 THEN 'swapped' WHEN u < 0.96 THEN 'variant_typo' ELSE 'exact' END AS name_noise,
               CASE WHEN v < 0.70 THEN 'exact' WHEN v < 0.82 THEN 'missing' WHEN v < 0.92 THEN 'other'
                    ELSE 'mistyped' END AS doc_noise,
               random() < 0.005 AS dob_noise, random() < 0.5 AS mrz,
               floor(183 * random() ^ 1.6)::int + 1 AS fi, floor(112 * random() ^ 1.6)::int + 1 AS gi,
               floor(40 * random() ^ 1.8)::int + 1 AS ci
          FROM (SELECT i, random() AS u, random() AS v FROM generate_series(1, :rows) i) s) r
  LEFT JOIN bxexit.person p ON r.known AND p.person_id = r.pid
  LEFT JOIN bxexit.travel_document d ON r.known AND d.person_id = p.person_id
  LEFT JOIN bench.family nf ON NOT r.known AND nf.id = least(r.fi, 183)
  LEFT JOIN bench.given ng ON NOT r.known AND ng.id = least(r.gi, 112)
  LEFT JOIN bench.country nc ON NOT r.known AND nc.id = r.ci;

-- the manifests as the carriers send them
CREATE TABLE bench.staged AS
SELECT t.line, f.carrier, f.flight_number, '2026-07-01' AS departure_date, f.dep, f.arr,
       CASE t.name_noise WHEN 'swapped' THEN n.given ELSE n.family END AS family_name,
       CASE t.name_noise WHEN 'swapped' THEN n.family ELSE n.given END AS given_names,
       CASE WHEN t.dob_noise THEN (t.date_of_birth + (1 + floor(random() * 9))::int * (CASE WHEN random() < 0.5 THEN 1 ELSE 30 END))::text
            ELSE t.date_of_birth::text END AS date_of_birth,
       t.sex, t.citizenship, 'P' AS document_type,
       CASE t.doc_noise WHEN 'exact' THEN t.document_number WHEN 'missing' THEN NULL
            WHEN 'other' THEN 'N' || lpad(t.line::text, 8, '0')
            ELSE overlay(t.document_number placing ((substr(t.document_number, 9, 1)::int + 1 + floor(random() * 8)::int) % 10)::text from 9 for 1) END
         AS document_number,
       t.citizenship AS document_country, (1 + floor(random() * 40))::text || chr(65 + floor(random() * 6)::int) AS seat
  FROM bench.truth t
  JOIN bench.flights f ON f.n = t.flight
 CROSS JOIN LATERAL (SELECT
       CASE WHEN t.mrz THEN bench.mrz(x.family) ELSE x.family END AS family,
       CASE WHEN t.mrz THEN bench.mrz(x.given) ELSE x.given END AS given
  FROM (SELECT
       CASE WHEN t.name_noise IN ('typo', 'variant_typo') AND random() < 0.5
            THEN bench.typo(upper(fam), 1 + (random() < 0.3)::int) ELSE fam END AS family,
       CASE WHEN t.name_noise IN ('typo', 'variant_typo') AND NOT random() < 0.5
            THEN bench.typo(upper(giv), 1 + (random() < 0.3)::int) ELSE giv END AS given
     FROM (SELECT CASE WHEN t.name_noise IN ('variant', 'variant_typo') AND random() < 0.5
                       THEN bench.variant(t.family_name, 'family') ELSE t.family_name END AS fam,
                  CASE WHEN t.name_noise IN ('variant', 'variant_typo') AND NOT random() < 0.5
                       THEN bench.variant(t.given_names, 'given') ELSE t.given_names END AS giv) y) x) n;
-- rows whose document mistype leaves the country's numbering: no document, as the generator meant
UPDATE bench.staged SET document_number = NULL, document_country = NULL
 WHERE document_number IS NULL;
SQL
"${PSQL[@]}" -c "\\copy (SELECT carrier, flight_number, departure_date, dep, arr, family_name, given_names, date_of_birth, sex, citizenship, document_type, document_number, document_country, seat, 'boarded' FROM bench.staged ORDER BY line) TO '$csv' WITH (FORMAT csv, HEADER true)"
t_gen=$(secs "$t2")
bx_log "manifests generated: ${t_gen}s"

# ------------------------------------------------------ stage, load, link
bx_log "staging and loading"
t3=$(date +%s.%N)
"${PSQL[@]}" -c "\\copy bxexit.manifest_staging FROM '$csv' WITH (FORMAT csv, HEADER true)"
t_copy=$(secs "$t3")
t4=$(date +%s.%N)
load=$("${PSQL[@]}" -At -F ' ' -c "SELECT * FROM bxexit.bx_load_departure_manifests()")
t_load=$(secs "$t4")
"${PSQL[@]}" -c "ANALYZE bxexit.departure_manifest"
bx_log "loaded: $load in ${t_load}s; linking"
t5=$(date +%s.%N)
link=$("${PSQL[@]}" -At -F ': ' -c "SELECT * FROM bxexit.bx_link_departures()")
t_link=$(secs "$t5")
bx_log "linked in ${t_link}s"

# ------------------------------------------------------ against the truth
"${PSQL[@]}" <<'SQL'
CREATE TABLE bench.result AS
SELECT t.line, t.person_id AS true_person, t.name_noise, t.doc_noise, t.dob_noise,
       m.departure_manifest_id, l.person_id AS linked_person, l.tier, r.rejected_id IS NOT NULL AS rejected
  FROM bench.truth t JOIN bench.staged s USING (line)
  LEFT JOIN bxexit.manifest_rejected r ON r.line = t.line
  LEFT JOIN bxexit.flight f ON f.carrier = s.carrier AND f.flight_number = s.flight_number
   AND f.departure_date = DATE '2026-07-01'
  LEFT JOIN bxexit.departure_manifest m ON r.rejected_id IS NULL AND m.flight_id = f.flight_id
   AND m.date_of_birth = s.date_of_birth::date AND m.name_key = bxexit.bx_name_key(s.family_name, s.given_names)
  LEFT JOIN bxexit.departure_link l ON l.departure_manifest_id = m.departure_manifest_id AND l.superseded_at IS NULL;
SQL
summary=$("${PSQL[@]}" -At -F '|' -c "SELECT count(*) FILTER (WHERE NOT rejected),
       count(*) FILTER (WHERE NOT rejected AND true_person IS NOT NULL),
       count(*) FILTER (WHERE NOT rejected AND true_person IS NULL),
       count(*) FILTER (WHERE linked_person IS NOT NULL AND linked_person = true_person),
       count(*) FILTER (WHERE linked_person IS NOT NULL AND linked_person IS DISTINCT FROM true_person),
       count(*) FILTER (WHERE linked_person IS NOT NULL AND true_person IS NULL),
       count(*) FILTER (WHERE NOT rejected AND true_person IS NOT NULL AND linked_person IS NULL),
       count(*) FILTER (WHERE rejected) FROM bench.result")
IFS='|' read -r n_rows n_known n_unknown n_right n_false n_false_unknown n_missed n_rejected <<<"$summary"
by_tier=$("${PSQL[@]}" -At -F '|' -c "SELECT tier, count(*), count(*) FILTER (WHERE linked_person IS DISTINCT FROM true_person)
	FROM bench.result WHERE tier IS NOT NULL GROUP BY tier ORDER BY min(CASE tier WHEN 'document' THEN 1 WHEN 'name_dob' THEN 2 ELSE 3 END)")
by_noise=$("${PSQL[@]}" -At -F '|' -c "SELECT name_noise, doc_noise, count(*) FILTER (WHERE true_person IS NOT NULL),
	count(*) FILTER (WHERE linked_person = true_person), count(*) FILTER (WHERE linked_person IS DISTINCT FROM true_person AND linked_person IS NOT NULL),
	count(*) FILTER (WHERE true_person IS NOT NULL AND linked_person IS NULL)
	FROM bench.result WHERE NOT rejected AND NOT dob_noise GROUP BY 1, 2 ORDER BY 1, 2")
dob_row=$("${PSQL[@]}" -At -F '|' -c "SELECT count(*), count(*) FILTER (WHERE linked_person = true_person),
	count(*) FILTER (WHERE linked_person IS DISTINCT FROM true_person AND linked_person IS NOT NULL)
	FROM bench.result WHERE NOT rejected AND dob_noise AND true_person IS NOT NULL")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')
pgv=$("${PSQL[@]}" -At -c "SELECT version()" | cut -d' ' -f1-2)
commit=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- . 2>/dev/null || echo ' + uncommitted changes')
met=$(echo "$t_link <= 300" | bc)
{
	echo "## Departure manifests: biographic linking at national scale (\`bash bench/linking.sh\`)"
	echo
	echo "Machine: $(nproc) cores, $cpu; $(date -u +%Y-%m-%dT%H:%MZ); $pgv; commit $commit; \`bash bench/linking.sh $args\`"
	echo
	echo "| step | time |"
	echo "|---|---|"
	echo "| generate $people people with passports (INSERT ... SELECT) | ${t_people} s |"
	echo "| build the indexes the tiers use, VACUUM ANALYZE ($sizes) | ${t_index} s |"
	echo "| generate $rows manifest rows with noise, write the CSV | ${t_gen} s |"
	echo "| \`\\copy\` the CSV into manifest_staging | ${t_copy} s |"
	echo "| \`bx_load_departure_manifests()\` (staged, loaded, rejected, flights created, remaining: $load) | ${t_load} s |"
	echo "| **\`bx_link_departures()\`** | **${t_link} s** (target <= 300 s: $([ "$met" = 1 ] && echo met || echo NOT met)) |"
	echo
	echo "Outcomes of \`bx_link_departures()\`: $(echo "$link" | tr '\n' ',' | sed 's/,$//; s/,/, /g')."
	echo
	echo "Against the truth: $n_rows manifest rows loaded ($n_rejected rejected as duplicates of a passenger already on the flight), $n_known of people on record, $n_unknown of people not on record."
	echo
	echo "| | rows | % of loaded rows of people on record |"
	echo "|---|---|---|"
	echo "| right person linked | $n_right | $(echo "scale=2; 100 * $n_right / $n_known" | bc) |"
	echo "| false links (another person) | $n_false | $(echo "scale=3; 100 * $n_false / $n_known" | bc) |"
	echo "| of which the passenger is not on record | $n_false_unknown | |"
	echo "| missed (on record, left unlinked) | $n_missed | $(echo "scale=2; 100 * $n_missed / $n_known" | bc) |"
	echo
	echo "| tier | links | false |"
	echo "|---|---|---|"
	echo "$by_tier" | awk -F'|' '{ printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; print "" }'
	echo
	echo "By the generator's noise (rows of people on record with a correct date of birth; unknown passengers counted under false only):"
	echo
	echo "| name | document | on record | linked right | false | missed |"
	echo "|---|---|---|---|---|---|"
	echo "$by_noise" | awk -F'|' '{ printf "|"; for (i = 1; i <= NF; i++) printf " %s |", $i; print "" }'
	echo
	echo "Mistyped date of birth (0.5%): $(echo "$dob_row" | cut -d'|' -f1) rows on record, $(echo "$dob_row" | cut -d'|' -f2) linked right, $(echo "$dob_row" | cut -d'|' -f3) false."
} | tee "$out"
bx_log "total $(secs "$t0")s; saved to $out"
