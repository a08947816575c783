-- casts between face_embedding and arrays
SET search_path = public, bxexit;

SELECT '{1,2,3}'::real[]::face_embedding AS from_real;
SELECT '{1.5,2.25,-3}'::float8[]::face_embedding AS from_float8;
SELECT '{0.1,2.5}'::numeric[]::face_embedding AS from_numeric;
SELECT '{1,2,3}'::int[]::face_embedding AS from_int;
SELECT ARRAY[1,2,3]::real[]::face_embedding(3) AS with_typmod;
SELECT 'm:[1,2.5]'::face_embedding::real[] AS to_real,
       'm:[1,2.5]'::face_embedding::float8[] AS to_float8,
       '[0.1,2.5]'::face_embedding::numeric[] AS to_numeric;
-- casts are assignment casts: INSERT of an array literal works
CREATE TABLE emb_cast (e face_embedding(2));
INSERT INTO emb_cast VALUES (ARRAY[1.0, 2.0]::float8[]), ('{3,4}'::real[]);
SELECT e, bx_model(e) FROM emb_cast ORDER BY e;
DROP TABLE emb_cast;
-- array round trip keeps every float4 bit
SELECT a = a::face_embedding::real[] AS real_roundtrip
  FROM (SELECT array_agg((random() * 2 - 1)::real) a FROM generate_series(1, 512)) s;
SELECT ARRAY[0.1::real, 1e-30::real, 123456.78::real]::face_embedding::float8[]::real[]
     = ARRAY[0.1::real, 1e-30::real, 123456.78::real] AS float8_roundtrip;
