-- every bad input is an ERROR with the right SQLSTATE, never a crash
SET search_path = public, bxexit;

-- try(sql): run sql and show the SQLSTATE and message of the error it raises
\i sql/include/try.sql

-- empty vector: 22000
SELECT pg_temp.try($$SELECT '[]'::face_embedding$$);
SELECT pg_temp.try($$SELECT 'm:[ ]'::face_embedding$$);
-- NaN and infinity: 22000
SELECT pg_temp.try($$SELECT '[1,NaN]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[nan]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[Infinity,1]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[-inf]'::face_embedding$$);
-- out of float4 range: 22003
SELECT pg_temp.try($$SELECT '[1e39]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[-1e39]'::face_embedding$$);
-- underflow to zero is out of range too (a denormal is still a number): 22003
SELECT pg_temp.try($$SELECT '[1e-46]'::face_embedding$$);
SELECT '[1e-45]'::face_embedding AS denormal;
-- hexadecimal floats are not template text: 22P02
SELECT pg_temp.try($$SELECT '[0x10]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[1,0X1p3]'::face_embedding$$);
-- malformed text: 22P02
SELECT pg_temp.try($$SELECT ''::face_embedding$$);
SELECT pg_temp.try($$SELECT '1,2'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[1,2'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[1,,2]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[,1]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[1,]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[1 2]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[a]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[1;2]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '{1,2}'::face_embedding$$);
-- trailing garbage: 22P02
SELECT pg_temp.try($$SELECT '[1,2]x'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[1,2] [3]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '[1,2]]'::face_embedding$$);
-- bad model tags
SELECT pg_temp.try($$SELECT ':[1]'::face_embedding$$);
SELECT pg_temp.try($$SELECT 'bad tag:[1]'::face_embedding$$);
SELECT pg_temp.try($$SELECT '-m:[1]'::face_embedding$$);
SELECT pg_temp.try($$SELECT 'm/1:[1]'::face_embedding$$);
SELECT pg_temp.try($$SELECT 'm:m:[1]'::face_embedding$$);
SELECT pg_temp.try($$SELECT (repeat('m', 64) || ':[1]')::face_embedding$$);
SELECT pg_temp.try($$SELECT bx_set_model('[1]', 'no spaces')$$);
SELECT pg_temp.try($$SELECT bx_set_model('[1]', repeat('x', 64))$$);
-- too many dimensions: 54000
SELECT pg_temp.try($$SELECT ('[' || array_to_string(array_fill(1::real, ARRAY[16001]), ',') || ']')::face_embedding$$);
-- typmod
SELECT pg_temp.try($$SELECT '[1]'::face_embedding(0)$$);
SELECT pg_temp.try($$SELECT '[1]'::face_embedding(16001)$$);
SELECT pg_temp.try($$SELECT '[1]'::face_embedding(1, 2)$$);
SELECT pg_temp.try($$SELECT '[1,2]'::face_embedding(3)$$);
-- casts from arrays
SELECT pg_temp.try($$SELECT '{}'::real[]::face_embedding$$);
SELECT pg_temp.try($$SELECT '{{1,2},{3,4}}'::real[]::face_embedding$$);
SELECT pg_temp.try($$SELECT '{1,NULL}'::real[]::face_embedding$$);
SELECT pg_temp.try($$SELECT '{1,NaN}'::real[]::face_embedding$$);
SELECT pg_temp.try($$SELECT '{1,Infinity}'::float8[]::face_embedding$$);
SELECT pg_temp.try($$SELECT '{1e300}'::float8[]::face_embedding$$);
SELECT pg_temp.try($$SELECT '{NaN}'::numeric[]::face_embedding$$);
SELECT pg_temp.try($$SELECT '{1e40}'::numeric[]::face_embedding$$);
SELECT pg_temp.try($$SELECT array_fill(1::real, ARRAY[16001])::face_embedding$$);
SELECT pg_temp.try($$SELECT '{1,2}'::real[]::face_embedding(3)$$);
-- dimension and model mismatches in comparisons: 22000
SELECT pg_temp.try($$SELECT '[1,2]'::face_embedding <-> '[1,2,3]'$$);
SELECT pg_temp.try($$SELECT '[1,2]'::face_embedding <=> '[1,2,3]'$$);
SELECT pg_temp.try($$SELECT '[1,2]'::face_embedding <#> '[1,2,3]'$$);
SELECT pg_temp.try($$SELECT bx_similarity('[1,2]', '[1,2,3]')$$);
SELECT pg_temp.try($$SELECT 'mobilefacenet-v1:[1,2]'::face_embedding <-> 'arcface-r100:[1,2]'$$);
SELECT pg_temp.try($$SELECT 'mobilefacenet-v1:[1,2]'::face_embedding <=> 'arcface-r100:[1,2]'$$);
SELECT pg_temp.try($$SELECT bx_inner_product('a:[1]', 'b:[1]')$$);
SELECT pg_temp.try($$SELECT bx_l2_squared_distance('a:[1]', 'ab:[1]')$$);
-- undefined cosine and normalisation of a zero vector: 22000
SELECT pg_temp.try($$SELECT '[0,0]'::face_embedding <=> '[1,0]'$$);
SELECT pg_temp.try($$SELECT bx_similarity('[1,0]', '[0,0]')$$);
SELECT pg_temp.try($$SELECT bx_normalize('[0,0,0]')$$);
-- float overflow in a distance: 22003
SELECT pg_temp.try($$SELECT '[3e38,-3e38]'::face_embedding <-> '[-3e38,3e38]'$$);
SELECT pg_temp.try($$SELECT bx_inner_product('[3e38,3e38]', '[3e38,3e38]')$$);
-- aggregate over different dimensions or models: 22000
SELECT pg_temp.try($$SELECT avg(e) FROM (VALUES ('[1,2]'::face_embedding), ('[1,2,3]')) v(e)$$);
SELECT pg_temp.try($$SELECT avg(e) FROM (VALUES ('a:[1,2]'::face_embedding), ('b:[1,2]')) v(e)$$);

-- the backend is still alive and well
SELECT '[1,2]'::face_embedding <-> '[4,6]' AS still_alive;

-- the same errors raised directly to the client
\set VERBOSITY terse
SELECT '[1,2]x'::face_embedding;
SELECT 'a:[1]'::face_embedding <=> 'b:[1]';
