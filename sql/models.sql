-- face models: found below bxexit.model_path, checked against the manifest
SET search_path = public, bxexit;

SELECT model, path LIKE '%/' || CASE model WHEN 'yunet-2023mar' THEN 'yunet/face_detection_yunet_2023mar.onnx'
                                           ELSE 'mobilefacenet/MobileFaceNet.onnx' END AS path_ok,
       bytes, sha256, shape, memory_bytes > bytes AS loaded
  FROM bx_model_check() ORDER BY model;

CREATE FUNCTION pg_temp.try(sql text) RETURNS text LANGUAGE plpgsql AS $f$
BEGIN
	EXECUTE sql;
	RETURN 'no error';
EXCEPTION WHEN OTHERS THEN
	RETURN SQLSTATE || ': ' || regexp_replace(SQLERRM, '"[^"]*/(yunet|mobilefacenet)/', '"$DIR/\1/');
END
$f$;

-- missing directory: the file-access SQLSTATE and a hint naming the setting
SET bxexit.model_path = '/nonexistent/models';
SELECT pg_temp.try('SELECT count(*) FROM bx_model_check()');
\set VERBOSITY default
\set SHOW_CONTEXT never
SELECT count(*) FROM bx_model_check();
\set VERBOSITY terse

-- a truncated file and an altered one are refused before parsing
\getenv bad BX_BAD_MODELS
SELECT set_config('bxexit.model_path', :'bad' || '/truncated', false) IS NOT NULL AS set;
SELECT pg_temp.try('SELECT count(*) FROM bx_model_check()');
SELECT set_config('bxexit.model_path', :'bad' || '/altered', false) IS NOT NULL AS set;
SELECT pg_temp.try('SELECT count(*) FROM bx_model_check()');

-- only superusers may point the server at other files
RESET bxexit.model_path;
CREATE ROLE regress_bx_modeluser;
SET ROLE regress_bx_modeluser;
SELECT pg_temp.try($$SET bxexit.model_path = '/etc'$$);
RESET ROLE;
DROP ROLE regress_bx_modeluser;

-- back to the good models: they load again
SELECT count(*) AS models FROM bx_model_check();
