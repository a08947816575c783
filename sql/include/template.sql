-- pg_temp.v(a, b, c): a 128-d unit template c * e_a + sqrt(1 - c^2) * e_b of
-- model mobilefacenet-v1, so its cosine similarity to v(a) is c and to v(b)
-- sqrt(1 - c^2): templates whose every score is known in advance.
CREATE FUNCTION pg_temp.v(a int, b int DEFAULT NULL, c float8 DEFAULT 1)
RETURNS bxexit.face_embedding LANGUAGE sql IMMUTABLE AS $f$
	SELECT bxexit.bx_set_model(array_agg(CASE WHEN d = a THEN c
	                                          WHEN d = b THEN sqrt(1 - c * c)
	                                          ELSE 0 END ORDER BY d)::bxexit.face_embedding,
	                           'mobilefacenet-v1')
	  FROM generate_series(1, 128) d
$f$;
