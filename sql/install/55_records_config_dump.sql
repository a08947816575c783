/* 55_records_config_dump: pg_extension_config_dump registrations, so pg_dump keeps the records and their keys */

SELECT pg_catalog.pg_extension_config_dump('@extschema@.person', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.travel_document', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.enrollment', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.class_of_admission', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.admission', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.flight', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.manifest', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.match_threshold', 'WHERE NOT builtin');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.exit_event', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.search_audit', '');
-- the identity sequences too, or a restored database hands out keys from 1 again
SELECT pg_catalog.pg_extension_config_dump('@extschema@.person_person_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.travel_document_document_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.enrollment_enrollment_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.flight_flight_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.match_threshold_threshold_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.exit_event_exit_event_id_seq', '');
SELECT pg_catalog.pg_extension_config_dump('@extschema@.search_audit_audit_id_seq', '');
