/* 65_departures: carrier departure manifests (APIS) as departure records, and their biographic linking to people */

/* ---------------------------------------------- departures: name keys */

/*
 * ADIS-style matching (../shared/DOMAIN.md, A6): business rules and
 * normalisation first, then tiers of exact matches, then a fuzzy name
 * match (Damerau-Levenshtein).  Names are compared as one key, made by one
 * IMMUTABLE function: NFKD, combining marks dropped (Jürgen, José, Øre:
 * JURGEN, JOSE, ORE), letters without a decomposition spelled out (ß SS,
 * Æ AE, Œ OE, Ø O, Ł L, Đ/Ð D, Þ TH, ı I), apostrophes dropped (O'Brien:
 * OBRIEN), ASCII upper case, every run of other ASCII characters (spaces,
 * hyphens, dots, digits) and of Unicode dashes and spaces one space,
 * trimmed; NULL when nothing is left.  Letters of other scripts are kept
 * as they are (not case-folded): manifests carry the document's Latin
 * transliteration (ICAO 9303).  Needs a UTF8 database (normalize()).
 * Transliteration variants (Juergen, Muhammad/Mohammed) are left to the
 * fuzzy tier: folding "UE" to "U" would also fold names that are spelled
 * so.
 */
CREATE FUNCTION @extschema@.bx_normalize_name(name pg_catalog.text)
	RETURNS pg_catalog.text
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN NULLIF(pg_catalog.btrim(pg_catalog.regexp_replace(
		pg_catalog.upper(pg_catalog.regexp_replace(pg_catalog.normalize(
			pg_catalog.translate(
				pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
				pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
				pg_catalog.regexp_replace(name, '[''`´ʻʼʽ‘’‛]', '', 'g'),
					'ß', 'SS'), 'æ', 'AE'), 'Æ', 'AE'), 'œ', 'OE'), 'Œ', 'OE'),
					'þ', 'TH'), 'Þ', 'TH'), 'ẞ', 'SS'),
				'øØłŁđĐðÐıħĦ', 'OOLLDDDDIHH'),
			'NFKD'), '[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]', '', 'g')
			COLLATE pg_catalog."C"),
		'[\u0001-\u0040\u005b-\u007f\u00a0\u2000-\u2015\u2212\u3000]+', ' ', 'g')), '');
COMMENT ON FUNCTION @extschema@.bx_normalize_name(pg_catalog.text) IS
	'the match key of a name: NFKD without diacritics, special letters spelled out, no apostrophes, ASCII upper case, hyphens, punctuation and spacing as single spaces; NULL if no letter is left';

CREATE FUNCTION @extschema@.bx_name_key(family_name pg_catalog.text, given_names pg_catalog.text)
	RETURNS pg_catalog.text
	LANGUAGE sql IMMUTABLE PARALLEL SAFE
	RETURN @extschema@.bx_normalize_name(COALESCE(family_name, '') OPERATOR(pg_catalog.||) ' '
		OPERATOR(pg_catalog.||) COALESCE(given_names, ''));
COMMENT ON FUNCTION @extschema@.bx_name_key(pg_catalog.text, pg_catalog.text) IS
	'the match key of a person''s name: bx_normalize_name of family name, a space, given names (swap the arguments for a swapped name)';

CREATE FUNCTION @extschema@.bx_name_distance(a pg_catalog.text, b pg_catalog.text)
	RETURNS pg_catalog.int4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_name_distance(pg_catalog.text, pg_catalog.text) IS
	'optimal string alignment (restricted Damerau-Levenshtein) distance in characters: insertions, deletions, substitutions, adjacent transpositions; at most 512 characters each (54000)';

CREATE FUNCTION @extschema@.bx_name_similarity(a pg_catalog.text, b pg_catalog.text)
	RETURNS pg_catalog.float4
	AS 'MODULE_PATHNAME' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.bx_name_similarity(pg_catalog.text, pg_catalog.text) IS
	'1 - bx_name_distance / length of the longer string, 0 to 1; compare name keys (bx_name_key)';

/*
 * A date of a manifest (ISO YYYY-MM-DD, as the CSV carries it), or NULL
 * when the text is not one: a rejected row needs a reason, not an
 * exception that takes the whole batch.  make_date is immutable, unlike
 * the text-to-date cast, which reads DateStyle.
 */
CREATE FUNCTION @extschema@.bx_parse_date(t pg_catalog.text)
	RETURNS pg_catalog.date
	LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
	RETURN CASE WHEN t OPERATOR(pg_catalog.~) '^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$'
				 AND pg_catalog.substr(t, 1, 4)::pg_catalog.int4 OPERATOR(pg_catalog.>=) 1
		THEN CASE WHEN pg_catalog.substr(t, 9, 2)::pg_catalog.int4 OPERATOR(pg_catalog.<=)
				pg_catalog.date_part('day', pg_catalog.make_date(pg_catalog.substr(t, 1, 4)::pg_catalog.int4,
					pg_catalog.substr(t, 6, 2)::pg_catalog.int4, 1)
					OPERATOR(pg_catalog.+) '1 month -1 day'::pg_catalog.interval)
			THEN pg_catalog.make_date(pg_catalog.substr(t, 1, 4)::pg_catalog.int4,
				pg_catalog.substr(t, 6, 2)::pg_catalog.int4, pg_catalog.substr(t, 9, 2)::pg_catalog.int4)
			END
		END;
COMMENT ON FUNCTION @extschema@.bx_parse_date(pg_catalog.text) IS
	'internal: a YYYY-MM-DD text as a date, NULL when it is not a valid one';

/* -------------------------------------------- departures: tables */

/*
 * An administrator loads a day's manifests (CSV, header line, these
 * columns in this order) with \copy bxexit.manifest_staging FROM ... CSV
 * HEADER, then calls bx_load_departure_manifests().  All text, no
 * constraint: every value is checked by the loader, which gives each bad
 * row a reason instead of failing the COPY.
 */
CREATE TABLE @extschema@.manifest_staging (
	carrier pg_catalog.text,
	flight_number pg_catalog.text,
	departure_date pg_catalog.text,
	departure_airport pg_catalog.text,
	arrival_airport pg_catalog.text,
	family_name pg_catalog.text,
	given_names pg_catalog.text,
	date_of_birth pg_catalog.text,
	sex pg_catalog.text,
	citizenship pg_catalog.text,
	document_type pg_catalog.text,
	document_number pg_catalog.text,
	document_country pg_catalog.text,
	seat pg_catalog.text,
	boarding_status pg_catalog.text
);
COMMENT ON TABLE @extschema@.manifest_staging IS
	'carrier departure manifests (APIS) as loaded by COPY, all text; bx_load_departure_manifests() moves each row to departure_manifest or manifest_rejected';

CREATE TABLE @extschema@.departure_manifest (
	departure_manifest_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	flight_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.flight,
	family_name pg_catalog.text NOT NULL
		CHECK (pg_catalog.length(family_name) OPERATOR(pg_catalog.<=) 200),
	given_names pg_catalog.text
		CHECK (pg_catalog.length(given_names) OPERATOR(pg_catalog.<=) 200),
	date_of_birth pg_catalog.date NOT NULL,
	sex pg_catalog.text CHECK (sex OPERATOR(pg_catalog.=) ANY (ARRAY['F', 'M', 'X'])),
	citizenship pg_catalog.text NOT NULL
		CHECK (citizenship OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	document_type pg_catalog.text
		CHECK (document_type OPERATOR(pg_catalog.~) '^[A-Z]{1,2}$'),
	document_number pg_catalog.text
		CHECK (document_number OPERATOR(pg_catalog.~) '^[0-9A-Z]{1,20}$'),
	document_country pg_catalog.text
		CHECK (document_country OPERATOR(pg_catalog.~) '^[A-Z]{3}$'),
	seat pg_catalog.text CHECK (seat OPERATOR(pg_catalog.~) '^[0-9]{1,3}[A-Z]?$'),
	boarding_status pg_catalog.text NOT NULL DEFAULT 'boarded'
		CHECK (boarding_status OPERATOR(pg_catalog.=) ANY (ARRAY['boarded', 'not_boarded'])),
	name_key pg_catalog.text GENERATED ALWAYS AS (@extschema@.bx_name_key(family_name, given_names)) STORED
		CONSTRAINT departure_manifest_name_key_present CHECK (name_key IS NOT NULL),
	loaded_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
	loaded_by pg_catalog.name NOT NULL DEFAULT SESSION_USER,
	CONSTRAINT departure_manifest_document_complete
		CHECK ((document_number IS NULL) OPERATOR(pg_catalog.=) (document_country IS NULL)),
	CONSTRAINT departure_manifest_dates_plausible CHECK (@extschema@.bx_plausible_date(date_of_birth))
);
COMMENT ON TABLE @extschema@.departure_manifest IS
	'one passenger of a carrier''s departure manifest (APIS), as read from the travel document: the biographic departure record; written only by bx_load_departure_manifests()';
COMMENT ON COLUMN @extschema@.departure_manifest.document_type IS
	'document code as read (ICAO 9303: P passport, V visa, I identity card...)';
COMMENT ON COLUMN @extschema@.departure_manifest.document_country IS
	'issuing state of the document, ISO 3166-1 alpha-3';
COMMENT ON COLUMN @extschema@.departure_manifest.name_key IS
	'bx_name_key(family_name, given_names): the key the name tiers compare';
COMMENT ON COLUMN @extschema@.departure_manifest.loaded_at IS
	'knowledge time: when bxexit learned of this departure (the loader''s statement time)';
COMMENT ON COLUMN @extschema@.departure_manifest.loaded_by IS 'the login that loaded it';
-- a manifest sent twice lists its passengers twice: one row per passenger and flight
CREATE UNIQUE INDEX departure_manifest_passenger_idx
	ON @extschema@.departure_manifest (flight_id, date_of_birth, name_key);

CREATE TABLE @extschema@.manifest_rejected (
	rejected_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	line pg_catalog.int8 NOT NULL,
	carrier pg_catalog.text,
	flight_number pg_catalog.text,
	departure_date pg_catalog.text,
	departure_airport pg_catalog.text,
	arrival_airport pg_catalog.text,
	family_name pg_catalog.text,
	given_names pg_catalog.text,
	date_of_birth pg_catalog.text,
	sex pg_catalog.text,
	citizenship pg_catalog.text,
	document_type pg_catalog.text,
	document_number pg_catalog.text,
	document_country pg_catalog.text,
	seat pg_catalog.text,
	boarding_status pg_catalog.text,
	reason pg_catalog.text NOT NULL,
	rejected_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
	rejected_by pg_catalog.name NOT NULL DEFAULT SESSION_USER
);
COMMENT ON TABLE @extschema@.manifest_rejected IS
	'staged manifest rows bx_load_departure_manifests() refused, with every reason; values kept as staged, cut to 1,000 characters';
COMMENT ON COLUMN @extschema@.manifest_rejected.line IS
	'position of the row in its batch, in staging order (the CSV line less the header, when the staging table was empty before the COPY)';

/*
 * Who a manifest row is.  A link is never updated in place except to
 * close it: a correction closes the current link (superseded_at) and
 * writes the officer's, so the table is the history.  At most one current
 * link per row; a row without one is unlinked.  Tiers: document (document
 * number and issuing country, date of birth agreeing), name_dob (name key
 * and date of birth), fuzzy (name similarity, date of birth, citizenship),
 * officer (bx_resolve_departure; person_id NULL: nobody on record).
 */
CREATE TABLE @extschema@.departure_link (
	link_id pg_catalog.int8 GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	departure_manifest_id pg_catalog.int8 NOT NULL REFERENCES @extschema@.departure_manifest,
	person_id pg_catalog.int8 REFERENCES @extschema@.person,
	tier pg_catalog.text NOT NULL
		CHECK (tier OPERATOR(pg_catalog.=) ANY (ARRAY['document', 'name_dob', 'fuzzy', 'officer'])),
	score pg_catalog.float4 CHECK (score OPERATOR(pg_catalog.>=) 0 AND score OPERATOR(pg_catalog.<=) 1),
	runner_up_score pg_catalog.float4,
	linked_at pg_catalog.timestamptz NOT NULL DEFAULT pg_catalog.statement_timestamp(),
	linked_by pg_catalog.name NOT NULL DEFAULT SESSION_USER,
	superseded_at pg_catalog.timestamptz,
	note pg_catalog.text CHECK (pg_catalog.length(note) OPERATOR(pg_catalog.<=) 1000),
	CONSTRAINT departure_link_person_unless_officer
		CHECK (person_id IS NOT NULL OR tier OPERATOR(pg_catalog.=) 'officer'),
	CONSTRAINT departure_link_officer_note
		CHECK (tier OPERATOR(pg_catalog.<>) 'officer' OR note IS NOT NULL),
	CONSTRAINT departure_link_superseded_after_link
		CHECK (superseded_at OPERATOR(pg_catalog.>=) linked_at)
);
COMMENT ON TABLE @extschema@.departure_link IS
	'who a departure manifest row is: tier, score, knowledge time; corrections supersede, never overwrite; written only by bx_link_departures() and bx_resolve_departure()';
COMMENT ON COLUMN @extschema@.departure_link.person_id IS
	'the person; NULL only for an officer''s decision that the passenger is nobody on record';
COMMENT ON COLUMN @extschema@.departure_link.score IS
	'1 for the exact tiers, the name similarity (bx_name_similarity) for fuzzy, NULL for officer';
COMMENT ON COLUMN @extschema@.departure_link.runner_up_score IS
	'fuzzy: the second-best candidate''s similarity, NULL if there was none';
COMMENT ON COLUMN @extschema@.departure_link.linked_at IS
	'knowledge time: when bxexit linked the row (statement time)';
COMMENT ON COLUMN @extschema@.departure_link.superseded_at IS
	'when a later link replaced this one; NULL for the current link';
CREATE UNIQUE INDEX departure_link_current_idx ON @extschema@.departure_link (departure_manifest_id)
	WHERE superseded_at IS NULL;
CREATE INDEX departure_link_person_idx ON @extschema@.departure_link (person_id);

/* What the tiers search: documents by number, people by birth date and name key or citizenship */
CREATE INDEX travel_document_number_idx ON @extschema@.travel_document (document_number, issuing_country);
CREATE INDEX person_birth_name_idx
	ON @extschema@.person (date_of_birth, @extschema@.bx_name_key(family_name, given_names));
CREATE INDEX person_birth_citizenship_idx ON @extschema@.person (date_of_birth, citizenship);

CREATE VIEW @extschema@.departure_manifest_link WITH (security_invoker = true) AS
	SELECT m.departure_manifest_id, m.flight_id, m.boarding_status, l.person_id, l.tier, l.score,
		   m.loaded_at, l.linked_at, l.link_id
	  FROM @extschema@.departure_manifest m
	  LEFT JOIN @extschema@.departure_link l
		ON l.departure_manifest_id OPERATOR(pg_catalog.=) m.departure_manifest_id
	   AND l.superseded_at IS NULL;
COMMENT ON VIEW @extschema@.departure_manifest_link IS
	'every departure manifest row with its current link; tier NULL: unlinked; tier officer with no person: nobody on record';

/* -------------------------------------------- departures: loading */

/*
 * Move at most max_rows staged rows, in staging order, to
 * departure_manifest (good rows) or manifest_rejected (every other row,
 * with all its reasons); the staged rows are deleted, the rest stay
 * staged.  Flights are found by carrier, flight number and departure
 * date, and created from the first row of the batch that names both
 * airports.  A passenger already loaded on the flight (same date of birth
 * and name key), or listed earlier in the batch, is rejected as a
 * duplicate.  SECURITY DEFINER: administrators read the departure records
 * but write them only here, so loaded_at and loaded_by are the loader's.
 */
CREATE FUNCTION @extschema@.bx_load_departure_manifests(max_rows pg_catalog.int4 DEFAULT 1000000,
	OUT rows_staged pg_catalog.int8, OUT rows_loaded pg_catalog.int8, OUT rows_rejected pg_catalog.int8,
	OUT flights_created pg_catalog.int8, OUT rows_remaining pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF max_rows IS NULL OR max_rows < 1 OR max_rows > 10000000 THEN
		RAISE EXCEPTION 'max_rows must be between 1 and 10000000'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- no COPY into the batch while it is taken, no second loader
	LOCK TABLE @extschema@.manifest_staging IN EXCLUSIVE MODE;

	CREATE TEMP TABLE bx_manifest_batch ON COMMIT DROP AS
	SELECT pg_catalog.row_number() OVER (ORDER BY s.ctid) AS line, s.ctid AS staged_ctid,
		   s.carrier AS raw_carrier, s.flight_number AS raw_flight_number,
		   s.departure_date AS raw_departure_date, s.departure_airport AS raw_departure_airport,
		   s.arrival_airport AS raw_arrival_airport, s.family_name AS raw_family_name,
		   s.given_names AS raw_given_names, s.date_of_birth AS raw_date_of_birth, s.sex AS raw_sex,
		   s.citizenship AS raw_citizenship, s.document_type AS raw_document_type,
		   s.document_number AS raw_document_number, s.document_country AS raw_document_country,
		   s.seat AS raw_seat, s.boarding_status AS raw_boarding_status,
		   -- values as checked: trimmed, codes upper case, '' as missing; NULL when too long
		   -- to look at (the reasons below say so)
		   c.*
	  FROM (SELECT st.ctid, st.* FROM @extschema@.manifest_staging st ORDER BY st.ctid LIMIT max_rows) s,
	  LATERAL (SELECT
		   upper(nullif(btrim(left(s.carrier, 100)), '')) AS carrier,
		   upper(nullif(btrim(left(s.flight_number, 100)), '')) AS flight_number,
		   nullif(btrim(left(s.departure_date, 100)), '') AS departure_date_text,
		   upper(nullif(btrim(left(s.departure_airport, 100)), '')) AS departure_airport,
		   upper(nullif(btrim(left(s.arrival_airport, 100)), '')) AS arrival_airport,
		   nullif(btrim(left(s.family_name, 1000)), '') AS family_name,
		   nullif(btrim(left(s.given_names, 1000)), '') AS given_names,
		   nullif(btrim(left(s.date_of_birth, 100)), '') AS date_of_birth_text,
		   upper(nullif(btrim(left(s.sex, 100)), '')) AS sex,
		   upper(nullif(btrim(left(s.citizenship, 100)), '')) AS citizenship,
		   upper(nullif(btrim(left(s.document_type, 100)), '')) AS document_type,
		   upper(nullif(btrim(left(s.document_number, 100)), '')) AS document_number,
		   upper(nullif(btrim(left(s.document_country, 100)), '')) AS document_country,
		   upper(nullif(btrim(left(s.seat, 100)), '')) AS seat,
		   lower(coalesce(nullif(btrim(left(s.boarding_status, 100)), ''), 'boarded')) AS boarding_status) c;
	GET DIAGNOSTICS rows_staged = ROW_COUNT;

	ALTER TABLE pg_temp.bx_manifest_batch
		ADD COLUMN departure_date pg_catalog.date, ADD COLUMN date_of_birth pg_catalog.date,
		ADD COLUMN flight_id pg_catalog.int8, ADD COLUMN name_key pg_catalog.text,
		ADD COLUMN reasons pg_catalog.text[];
	UPDATE pg_temp.bx_manifest_batch b
	   SET departure_date = @extschema@.bx_parse_date(b.departure_date_text),
		   date_of_birth = @extschema@.bx_parse_date(b.date_of_birth_text),
		   name_key = CASE WHEN length(b.family_name) <= 200 AND coalesce(length(b.given_names), 0) <= 200
						   THEN @extschema@.bx_name_key(b.family_name, b.given_names) END;

	-- every reason a row is refused: one text each, all of them
	UPDATE pg_temp.bx_manifest_batch b SET reasons = array_remove(ARRAY[
		CASE WHEN b.carrier IS NULL THEN 'carrier missing'
			 WHEN b.carrier !~ '^[A-Z0-9]{2,3}$' THEN 'carrier is not a 2 or 3 character airline code' END,
		CASE WHEN b.flight_number IS NULL THEN 'flight_number missing'
			 WHEN b.flight_number !~ '^[0-9]{1,4}[A-Z]?$' THEN 'flight_number is not 1 to 4 digits and an optional letter' END,
		CASE WHEN b.departure_date_text IS NULL THEN 'departure_date missing'
			 WHEN b.departure_date IS NULL THEN 'departure_date is not a date YYYY-MM-DD'
			 WHEN NOT @extschema@.bx_plausible_date(b.departure_date) THEN 'departure_date outside 1900-01-01 .. 2199-12-31' END,
		CASE WHEN b.departure_airport !~ '^[A-Z]{3}$' THEN 'departure_airport is not a 3-letter airport code' END,
		CASE WHEN b.arrival_airport !~ '^[A-Z]{3}$' THEN 'arrival_airport is not a 3-letter airport code' END,
		CASE WHEN b.family_name IS NULL THEN 'family_name missing'
			 WHEN length(b.family_name) > 200 THEN 'family_name longer than 200 characters'
			 WHEN b.family_name ~ '[[:cntrl:]]' THEN 'family_name has control characters'
			 WHEN @extschema@.bx_normalize_name(b.family_name) IS NULL THEN 'family_name has no letter' END,
		CASE WHEN length(b.given_names) > 200 THEN 'given_names longer than 200 characters'
			 WHEN b.given_names ~ '[[:cntrl:]]' THEN 'given_names has control characters' END,
		CASE WHEN b.date_of_birth_text IS NULL THEN 'date_of_birth missing'
			 WHEN b.date_of_birth IS NULL THEN 'date_of_birth is not a date YYYY-MM-DD'
			 WHEN NOT @extschema@.bx_plausible_date(b.date_of_birth) THEN 'date_of_birth outside 1900-01-01 .. 2199-12-31'
			 WHEN b.date_of_birth > b.departure_date THEN 'date_of_birth after departure_date' END,
		CASE WHEN b.sex NOT IN ('F', 'M', 'X') THEN 'sex is not F, M or X' END,
		CASE WHEN b.citizenship IS NULL THEN 'citizenship missing'
			 WHEN b.citizenship !~ '^[A-Z]{3}$' THEN 'citizenship is not an ISO 3166-1 alpha-3 code' END,
		CASE WHEN b.document_type !~ '^[A-Z]{1,2}$' THEN 'document_type is not a 1 or 2 letter document code' END,
		CASE WHEN b.document_number !~ '^[0-9A-Z]{1,20}$' THEN 'document_number is not 1 to 20 letters and digits'
			 WHEN b.document_number IS NOT NULL AND b.document_country IS NULL THEN 'document_number without document_country' END,
		CASE WHEN b.document_country !~ '^[A-Z]{3}$' THEN 'document_country is not an ISO 3166-1 alpha-3 code'
			 WHEN b.document_country IS NOT NULL AND b.document_number IS NULL THEN 'document_country without document_number' END,
		CASE WHEN b.seat !~ '^[0-9]{1,3}[A-Z]?$' THEN 'seat is not a row number and an optional letter' END,
		CASE WHEN b.boarding_status NOT IN ('boarded', 'not_boarded') THEN 'boarding_status is not boarded or not_boarded' END
		], NULL);

	-- flights: found, or created from the batch's first valid row that names both airports
	INSERT INTO @extschema@.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
	SELECT DISTINCT ON (b.carrier, b.flight_number, b.departure_date)
		   b.carrier, b.flight_number, b.departure_airport, b.arrival_airport, b.departure_date
	  FROM pg_temp.bx_manifest_batch b
	 WHERE b.reasons = '{}' AND b.departure_airport IS NOT NULL AND b.arrival_airport IS NOT NULL
	   AND NOT EXISTS (SELECT FROM @extschema@.flight f
						WHERE f.carrier = b.carrier AND f.flight_number = b.flight_number
						  AND f.departure_date = b.departure_date)
	 ORDER BY b.carrier, b.flight_number, b.departure_date, b.line;
	GET DIAGNOSTICS flights_created = ROW_COUNT;

	UPDATE pg_temp.bx_manifest_batch b SET flight_id = f.flight_id
	  FROM @extschema@.flight f
	 WHERE b.reasons = '{}' AND f.carrier = b.carrier AND f.flight_number = b.flight_number
	   AND f.departure_date = b.departure_date;
	UPDATE pg_temp.bx_manifest_batch b
	   SET reasons = ARRAY[format('flight %s %s on %s is unknown and the row names no departure_airport and arrival_airport',
								  b.carrier, b.flight_number, b.departure_date)]
	 WHERE b.reasons = '{}' AND b.flight_id IS NULL;

	-- duplicates: of a row already loaded, or of an earlier line of the batch
	UPDATE pg_temp.bx_manifest_batch b
	   SET reasons = ARRAY[format('duplicate of departure manifest row %s (same flight, date of birth and name)',
								  m.departure_manifest_id)]
	  FROM @extschema@.departure_manifest m
	 WHERE b.reasons = '{}' AND m.flight_id = b.flight_id AND m.date_of_birth = b.date_of_birth
	   AND m.name_key = b.name_key;
	UPDATE pg_temp.bx_manifest_batch b
	   SET reasons = ARRAY[format('duplicate of line %s (same flight, date of birth and name)', d.first_line)]
	  FROM (SELECT x.line, min(x.line) OVER (PARTITION BY x.flight_id, x.date_of_birth, x.name_key) AS first_line
			  FROM pg_temp.bx_manifest_batch x WHERE x.reasons = '{}') d
	 WHERE d.line = b.line AND d.first_line < b.line;

	INSERT INTO @extschema@.departure_manifest
		(flight_id, family_name, given_names, date_of_birth, sex, citizenship, document_type,
		 document_number, document_country, seat, boarding_status)
	SELECT b.flight_id, b.family_name, b.given_names, b.date_of_birth, b.sex, b.citizenship,
		   b.document_type, b.document_number, b.document_country, b.seat, b.boarding_status
	  FROM pg_temp.bx_manifest_batch b
	 WHERE b.reasons = '{}'
	 ORDER BY b.line;
	GET DIAGNOSTICS rows_loaded = ROW_COUNT;

	INSERT INTO @extschema@.manifest_rejected
		(line, carrier, flight_number, departure_date, departure_airport, arrival_airport, family_name,
		 given_names, date_of_birth, sex, citizenship, document_type, document_number, document_country,
		 seat, boarding_status, reason)
	SELECT b.line, left(b.raw_carrier, 1000), left(b.raw_flight_number, 1000),
		   left(b.raw_departure_date, 1000), left(b.raw_departure_airport, 1000),
		   left(b.raw_arrival_airport, 1000), left(b.raw_family_name, 1000), left(b.raw_given_names, 1000),
		   left(b.raw_date_of_birth, 1000), left(b.raw_sex, 1000), left(b.raw_citizenship, 1000),
		   left(b.raw_document_type, 1000), left(b.raw_document_number, 1000),
		   left(b.raw_document_country, 1000), left(b.raw_seat, 1000), left(b.raw_boarding_status, 1000),
		   array_to_string(b.reasons, '; ')
	  FROM pg_temp.bx_manifest_batch b
	 WHERE b.reasons <> '{}'
	 ORDER BY b.line;
	GET DIAGNOSTICS rows_rejected = ROW_COUNT;

	DELETE FROM @extschema@.manifest_staging s
	 USING pg_temp.bx_manifest_batch b WHERE s.ctid = b.staged_ctid;
	SELECT count(*) INTO rows_remaining FROM @extschema@.manifest_staging;
	DROP TABLE pg_temp.bx_manifest_batch;
	RAISE LOG 'bxexit manifests loaded by %: % staged, % loaded, % rejected, % flights created',
		session_user, rows_staged, rows_loaded, rows_rejected, flights_created;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_load_departure_manifests(pg_catalog.int4) IS
	'move at most max_rows staged manifest rows (staging order) to departure_manifest, or to manifest_rejected with their reasons; creates unknown flights; returns the counts';

/* -------------------------------------------- departures: linking */

/*
 * Link every manifest row without a current link, tier by tier:
 *   document  one person holds a document of that number and issuing
 *             country, and has the manifest's date of birth (a mistyped
 *             number can be someone else's: the date must agree);
 *   name_dob  one person has the row's name key and date of birth (when
 *             several do, the one of the row's citizenship, if one);
 *   fuzzy     among people of the row's date of birth and citizenship, the
 *             best name similarity, the name read either way round (family
 *             and given names swapped), reaches min_score and leads the
 *             runner-up by min_margin.
 * A row with several candidates no tier can choose between is ambiguous
 * and stays unlinked for an officer (bx_departure_candidates,
 * bx_resolve_departure); so does a row without a candidate.  Returns the
 * rows per outcome: document, name_dob, fuzzy, ambiguous, no_candidate.
 * SECURITY DEFINER: administrators read links, only this function and
 * bx_resolve_departure write them.
 */
CREATE FUNCTION @extschema@.bx_link_departures(min_score pg_catalog.float4 DEFAULT 0.8,
	min_margin pg_catalog.float4 DEFAULT 0.1)
	RETURNS TABLE (outcome pg_catalog.text, manifest_rows pg_catalog.int8)
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
BEGIN
	IF min_score IS NULL OR min_score <= 0 OR min_score > 1 OR min_margin IS NULL OR min_margin < 0
	   OR min_margin > 1 THEN
		RAISE EXCEPTION 'min_score must be in (0, 1] and min_margin in [0, 1]'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- one linker or correction at a time: at most one current link per row
	LOCK TABLE @extschema@.departure_link IN SHARE ROW EXCLUSIVE MODE;

	CREATE TEMP TABLE bx_link_work ON COMMIT DROP AS
	SELECT m.departure_manifest_id AS id, m.date_of_birth, m.citizenship, m.document_number,
		   m.document_country, m.name_key, @extschema@.bx_name_key(m.given_names, m.family_name) AS swap_key,
		   NULL::pg_catalog.text AS outcome, NULL::pg_catalog.int8 AS person_id,
		   NULL::pg_catalog.float4 AS score, NULL::pg_catalog.float4 AS runner_up_score,
		   false AS ambiguous
	  FROM @extschema@.departure_manifest m
	 WHERE NOT EXISTS (SELECT FROM @extschema@.departure_link l
						WHERE l.departure_manifest_id = m.departure_manifest_id AND l.superseded_at IS NULL);
	ANALYZE pg_temp.bx_link_work;

	-- tier document
	UPDATE pg_temp.bx_link_work w
	   SET outcome = CASE WHEN c.n = 1 THEN 'document' END, person_id = CASE WHEN c.n = 1 THEN c.pid END,
		   score = CASE WHEN c.n = 1 THEN 1 END, ambiguous = c.n > 1
	  FROM (SELECT w2.id, count(DISTINCT d.person_id) AS n, min(d.person_id) AS pid
			  FROM pg_temp.bx_link_work w2
			  JOIN @extschema@.travel_document d
				ON d.document_number = w2.document_number AND d.issuing_country = w2.document_country
			  JOIN @extschema@.person p
				ON p.person_id = d.person_id AND p.date_of_birth = w2.date_of_birth
			 GROUP BY w2.id) c
	 WHERE c.id = w.id;

	-- tier name_dob
	UPDATE pg_temp.bx_link_work w
	   SET outcome = CASE WHEN c.pid IS NOT NULL THEN 'name_dob' END, person_id = c.pid,
		   score = CASE WHEN c.pid IS NOT NULL THEN 1 END,
		   ambiguous = w.ambiguous OR c.pid IS NULL
	  FROM (SELECT w2.id,
				   CASE WHEN count(*) = 1 THEN min(p.person_id)
						WHEN count(*) FILTER (WHERE p.citizenship = w2.citizenship) = 1
						THEN min(p.person_id) FILTER (WHERE p.citizenship = w2.citizenship) END AS pid
			  FROM pg_temp.bx_link_work w2
			  JOIN @extschema@.person p
				ON p.date_of_birth = w2.date_of_birth
			   AND @extschema@.bx_name_key(p.family_name, p.given_names) = w2.name_key
			 WHERE w2.outcome IS NULL
			 GROUP BY w2.id) c
	 WHERE c.id = w.id;

	-- tier fuzzy
	UPDATE pg_temp.bx_link_work w
	   SET outcome = CASE WHEN r.score - coalesce(r.runner_up, 0) >= min_margin THEN 'fuzzy' END,
		   person_id = CASE WHEN r.score - coalesce(r.runner_up, 0) >= min_margin THEN r.person_id END,
		   score = r.score, runner_up_score = r.runner_up,
		   ambiguous = w.ambiguous OR r.score - coalesce(r.runner_up, 0) < min_margin
	  FROM (SELECT s.id, s.person_id, s.score, s.runner_up
			  FROM (SELECT c.id, c.person_id, c.score,
						   row_number() OVER (PARTITION BY c.id ORDER BY c.score DESC, c.person_id) AS rn,
						   lead(c.score) OVER (PARTITION BY c.id ORDER BY c.score DESC, c.person_id) AS runner_up
					  FROM (SELECT w2.id, p.person_id,
								   greatest(@extschema@.bx_name_similarity(w2.name_key, k.key),
											@extschema@.bx_name_similarity(w2.swap_key, k.key)) AS score
							  FROM pg_temp.bx_link_work w2
							  JOIN @extschema@.person p
								ON p.date_of_birth = w2.date_of_birth AND p.citizenship = w2.citizenship
							 CROSS JOIN LATERAL (SELECT @extschema@.bx_name_key(p.family_name, p.given_names) AS key) k
							 WHERE w2.outcome IS NULL) c) s
			 WHERE s.rn = 1 AND s.score >= min_score) r
	 WHERE r.id = w.id;

	INSERT INTO @extschema@.departure_link (departure_manifest_id, person_id, tier, score, runner_up_score)
	SELECT w.id, w.person_id, w.outcome, w.score, w.runner_up_score
	  FROM pg_temp.bx_link_work w WHERE w.outcome IS NOT NULL
	 ORDER BY w.id;

	RETURN QUERY
	SELECT o.outcome, count(w.id)
	  FROM unnest(ARRAY['document', 'name_dob', 'fuzzy', 'ambiguous', 'no_candidate']) WITH ORDINALITY o(outcome, ord)
	  LEFT JOIN pg_temp.bx_link_work w
		ON o.outcome = coalesce(w.outcome, CASE WHEN w.ambiguous THEN 'ambiguous' ELSE 'no_candidate' END)
	 GROUP BY o.outcome, o.ord ORDER BY o.ord;
	DROP TABLE pg_temp.bx_link_work;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_link_departures(pg_catalog.float4, pg_catalog.float4) IS
	'link every departure manifest row without a current link to a person (tiers document, name_dob, fuzzy with min_score and min_margin); returns rows per outcome, ambiguous and no_candidate rows stay unlinked';

/*
 * The candidates of one manifest row, as the tiers see them, best first:
 * for an officer deciding an ambiguous or unlinked row.  Fuzzy candidates
 * are listed down to a similarity of 0.5.
 */
CREATE FUNCTION @extschema@.bx_departure_candidates(departure_manifest_id pg_catalog.int8)
	RETURNS TABLE (person_id pg_catalog.int8, tier pg_catalog.text, score pg_catalog.float4)
	LANGUAGE sql STABLE STRICT PARALLEL SAFE
	BEGIN ATOMIC
		SELECT c.person_id, c.tier, c.score FROM (
			SELECT d.person_id, 'document'::pg_catalog.text AS tier, 1::pg_catalog.float4 AS score, 1 AS ord
			  FROM @extschema@.departure_manifest m
			  JOIN @extschema@.travel_document d
				ON d.document_number OPERATOR(pg_catalog.=) m.document_number
			   AND d.issuing_country OPERATOR(pg_catalog.=) m.document_country
			  JOIN @extschema@.person p ON p.person_id OPERATOR(pg_catalog.=) d.person_id
			   AND p.date_of_birth OPERATOR(pg_catalog.=) m.date_of_birth
			 WHERE m.departure_manifest_id OPERATOR(pg_catalog.=) bx_departure_candidates.departure_manifest_id
			UNION ALL
			SELECT p.person_id, 'name_dob', 1, 2
			  FROM @extschema@.departure_manifest m
			  JOIN @extschema@.person p ON p.date_of_birth OPERATOR(pg_catalog.=) m.date_of_birth
			   AND @extschema@.bx_name_key(p.family_name, p.given_names) OPERATOR(pg_catalog.=) m.name_key
			 WHERE m.departure_manifest_id OPERATOR(pg_catalog.=) bx_departure_candidates.departure_manifest_id
			UNION ALL
			SELECT f.person_id, 'fuzzy', f.score, 3
			  FROM (SELECT p.person_id,
						   GREATEST(
							   @extschema@.bx_name_similarity(m.name_key, @extschema@.bx_name_key(p.family_name, p.given_names)),
							   @extschema@.bx_name_similarity(@extschema@.bx_name_key(m.given_names, m.family_name),
															  @extschema@.bx_name_key(p.family_name, p.given_names))) AS score
					  FROM @extschema@.departure_manifest m
					  JOIN @extschema@.person p ON p.date_of_birth OPERATOR(pg_catalog.=) m.date_of_birth
					   AND p.citizenship OPERATOR(pg_catalog.=) m.citizenship
					 WHERE m.departure_manifest_id OPERATOR(pg_catalog.=) bx_departure_candidates.departure_manifest_id) f
			 WHERE f.score OPERATOR(pg_catalog.>=) 0.5) c
		 ORDER BY c.ord, c.score DESC, c.person_id;
	END;
COMMENT ON FUNCTION @extschema@.bx_departure_candidates(pg_catalog.int8) IS
	'the candidates of a departure manifest row per tier (document, name_dob, fuzzy down to similarity 0.5), best first, for an officer''s decision';

/*
 * An officer confirms or corrects who a manifest row is: the current link,
 * if any, is superseded and a link of tier officer written, with the
 * officer's note (required).  person_id NULL records that the passenger is
 * nobody on record (bx_link_departures then leaves the row alone).
 * Returns the new link.
 */
CREATE FUNCTION @extschema@.bx_resolve_departure(departure_manifest_id pg_catalog.int8,
	person_id pg_catalog.int8, note pg_catalog.text)
	RETURNS pg_catalog.int8
	LANGUAGE plpgsql VOLATILE SECURITY DEFINER
	SET search_path = pg_catalog, pg_temp
	AS $$
DECLARE
	v_link pg_catalog.int8;
BEGIN
	IF NOT EXISTS (SELECT FROM @extschema@.departure_manifest m
					WHERE m.departure_manifest_id = bx_resolve_departure.departure_manifest_id) THEN
		RAISE EXCEPTION 'departure manifest row % does not exist', bx_resolve_departure.departure_manifest_id
			USING ERRCODE = 'no_data_found';
	END IF;
	IF bx_resolve_departure.person_id IS NOT NULL
	   AND NOT EXISTS (SELECT FROM @extschema@.person p WHERE p.person_id = bx_resolve_departure.person_id) THEN
		RAISE EXCEPTION 'person % does not exist', bx_resolve_departure.person_id
			USING ERRCODE = 'no_data_found';
	END IF;
	IF nullif(btrim(note), '') IS NULL OR length(note) > 1000 THEN
		RAISE EXCEPTION 'a correction needs a note of 1 to 1000 characters'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Say what was checked, e.g. the passport at the gate.';
	END IF;
	LOCK TABLE @extschema@.departure_link IN SHARE ROW EXCLUSIVE MODE;
	UPDATE @extschema@.departure_link l SET superseded_at = statement_timestamp()
	 WHERE l.departure_manifest_id = bx_resolve_departure.departure_manifest_id AND l.superseded_at IS NULL;
	INSERT INTO @extschema@.departure_link (departure_manifest_id, person_id, tier, note)
	VALUES (bx_resolve_departure.departure_manifest_id, bx_resolve_departure.person_id, 'officer', note)
	RETURNING link_id INTO v_link;
	RETURN v_link;
END
$$;
COMMENT ON FUNCTION @extschema@.bx_resolve_departure(pg_catalog.int8, pg_catalog.int8, pg_catalog.text) IS
	'confirm or correct who a departure manifest row is (person NULL: nobody on record): supersedes the current link, writes a link of tier officer with the note';

/* -------------------------------------------- departures: pg_dump */

SELECT pg_catalog.pg_extension_config_dump('@extschema@.manifest_staging', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.departure_manifest', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.manifest_rejected', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.departure_link', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.departure_manifest_departure_manifest_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.manifest_rejected_rejected_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.departure_link_link_id_seq', '');
