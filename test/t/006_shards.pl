# The gallery over several servers: a coordinator and two shard clusters on
# unix sockets, laid out by scripts/shard_layout.sh.  Enrollments written
# through the coordinator land on their person's shard; 1:N search pushes
# ORDER BY ... LIMIT down to both shards, which run concurrently, and
# answers exactly as one server holding the same rows (all lists probed);
# bx_match works for a flight whose travellers live on different shards and
# reads only the shards that hold them; a stopped shard and a slow one fail
# by name, and searches succeed again once they are back; a shard's crash
# loses nothing committed.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

# run the layout script; its exit status, and its stderr for diagnostics
sub layout
{
	my ($out, $err) = ('', '');
	my $ok = IPC::Run::run(['bash', $ENV{TESTDIR} . '/scripts/shard_layout.sh', @_], '>', \$out, '2>', \$err);
	return ($ok ? 0 : ($? >> 8), $err);
}

my $layout = "$ENV{TESTDIR}/scripts/shard_layout.sh";
ok(-x $layout || -f $layout, 'the layout script is there');

# every list probed, a search list and a re-rank as large as the gallery:
# the index answers exactly, on the shards as on the reference
my $exact = q{
bxann.probes = 4
bxann.ef_search = 2000
bxann.rerank = 2000
};
my %node;
for my $name (qw(coord s1 s2))
{
	$node{$name} = PostgreSQL::Test::Cluster->new($name);
	$node{$name}->init;
	$node{$name}->append_conf('postgresql.conf', $exact);
	$node{$name}->start;
}
my ($coord, $s1, $s2) = @node{qw(coord s1 s2)};
sub conninfo { my ($n) = @_; return 'host=' . $n->host . ' port=' . $n->port . ' dbname=postgres'; }

# ------------------------------------------------------------- the records
$coord->safe_psql('postgres', q{
CREATE EXTENSION bxexit;
SET search_path = public, bxexit;
SELECT setseed(0.17);
CREATE TABLE ident AS
SELECT i AS n, array(SELECT random() - 0.5 FROM generate_series(1, 128) d WHERE i > 0)::float4[] AS c
  FROM generate_series(1, 400) i;
INSERT INTO person (family_name, citizenship) SELECT 'P' || n, 'NLD' FROM ident ORDER BY n;
INSERT INTO enrollment (person_id, source, captured_at, template)
SELECT n, s, '2024-01-01', bx_set_model(bx_normalize(array(
		SELECT c[d] + 0.35 * (random() - 0.5) FROM generate_series(1, 128) d)::face_embedding), 'mobilefacenet-v1')
  FROM ident, unnest(ARRAY['visa', 'passport']) s ORDER BY n, s;
CREATE TABLE probe AS
SELECT n, bx_set_model(bx_normalize(array(
		SELECT c[d] + 0.35 * (random() - 0.5) FROM generate_series(1, 128) d)::face_embedding), 'mobilefacenet-v1') AS t
  FROM ident WHERE n % 13 = 0;
-- the single-server reference: enrollment with its own bxann index
CREATE INDEX enrollment_mfn_idx ON enrollment USING bxann
	((template::face_embedding(128)) face_embedding_cosine_ops) WITH (lists = 4)
	WHERE model = 'mobilefacenet-v1';
ANALYZE enrollment;
});

# ------------------------------------------------------------- the layout
my @shards = ('--shard', 's1', conninfo($s1), '--shard', 's2', conninfo($s2));
my ($ret, $err) = layout('create', '--coordinator', conninfo($coord), '--shard-timeout', '3000', @shards);
my $out;
is($ret, 0, 'shard_layout.sh create succeeds') or diag($err);
is($coord->safe_psql('postgres', q{SELECT string_agg(partition || ' ' || server || ' ' || remote_table, ', ')
	FROM bxexit.bx_gallery_shards()}),
	'gallery_s1 s1 public.gallery_s1, gallery_s2 s2 public.gallery_s2',
	'bx_gallery_shards: one foreign partition per shard server');

# enrollments go through the coordinator to their person's shard
$coord->safe_psql('postgres', q{
INSERT INTO gallery (enrollment_id, person_id, model, template, source, captured_at)
SELECT enrollment_id, person_id, model, template, source, captured_at FROM bxexit.enrollment;
});
my $n1 = $s1->safe_psql('postgres', 'SELECT count(*) FROM gallery_s1');
my $n2 = $s2->safe_psql('postgres', 'SELECT count(*) FROM gallery_s2');
ok($n1 > 200 && $n2 > 200, "both shards hold a share ($n1 and $n2 rows)");
is($n1 + $n2, 800, 'the shards hold all 800 templates between them');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM (SELECT person_id FROM gallery
	GROUP BY person_id HAVING count(DISTINCT tableoid) > 1) x}),
	'0', "a person's templates all live on one shard");
# (materialized: shipped to the shard, the check would name a coordinator's oid)
is($coord->safe_psql('postgres', q{WITH r AS MATERIALIZED (SELECT person_id FROM gallery_s1)
	SELECT count(*) FROM r WHERE NOT satisfies_hash_partition('gallery'::regclass, 2, 0, person_id)}),
	'0', 'shard s1 holds only the people of remainder 0');
# later enrollments take their keys from the coordinator's sequence
$coord->safe_psql('postgres', q{SELECT setval('gallery_enrollment_id_seq', 800)});

($ret, $err) = layout('index', '--coordinator', conninfo($coord), '--lists', '4', @shards);
is($ret, 0, 'shard_layout.sh index builds a bxann index on every shard') or diag($err);
is($s2->safe_psql('postgres', q{SELECT lists FROM bxexit.bxann_index_info('gallery_s2_template_idx')}),
	'4', 'the shard index has the lists asked for');

# ------------------------------------------------------------- pushdown
my $plan = $coord->safe_psql('postgres', q{
SELECT 'EXPLAIN (VERBOSE, COSTS OFF) ' || replace(replace(
	bxexit.bx_gallery_nearest_sql('gallery', 128, 'mobilefacenet-v1'),
	'$1', quote_literal((SELECT t FROM probe LIMIT 1)::text) || '::bxexit.face_embedding'), '$2', '10')
\gexec
});
is(() = $plan =~ /Async Foreign Scan on public\.gallery_s\d/g, 2, 'EXPLAIN: both shards are scanned asynchronously');
is(() = $plan =~ /Remote SQL: SELECT .* FROM public\.gallery_s\d .*ORDER BY \(template::bxexit\.face_embedding\(128\) OPERATOR\(bxexit\.<=>\) .* LIMIT 10::bigint/g,
	2, 'EXPLAIN VERBOSE: each shard receives the ORDER BY <=> ... LIMIT');
$plan = $coord->safe_psql('postgres', q{
SET search_path = public, bxexit;
SELECT 'EXPLAIN (VERBOSE, COSTS OFF) SELECT enrollment_id FROM gallery WHERE model = ''mobilefacenet-v1''
	ORDER BY template::face_embedding(128) <=> ' || quote_literal((SELECT t FROM probe LIMIT 1)::text)
	|| '::face_embedding LIMIT 5'
\gexec
});
like($plan, qr/Merge Append.*Remote SQL: .*ORDER BY \(template::bxexit\.face_embedding\(128\) OPERATOR\(bxexit\.<=>\)/s,
	'over the parent, the ORDER BY <=> still reaches the shards (MergeAppend)');

# ------------------------------------------------------- 1:N equals one server
my $answers = q{
SELECT string_agg(format('%s:%s:%s:%s:%s', p.n, i.rank, i.person_id, i.enrollment_id, i.score), ' '
				  ORDER BY p.n, i.rank)
  FROM probe p, bxexit.bx_identify(p.t, 5) i};
my $sharded = $coord->safe_psql('postgres', $answers);
$coord->safe_psql('postgres', 'SELECT bxexit.bx_set_gallery(NULL)');
my $single = $coord->safe_psql('postgres', $answers);
$coord->safe_psql('postgres', q{SELECT bxexit.bx_set_gallery('gallery')});
is($sharded, $single, '1:N over two shards returns what one server holding the same rows returns');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM probe p, bxexit.bx_identify(p.t, 1) i WHERE i.person_id = p.n}),
	$coord->safe_psql('postgres', 'SELECT count(*) FROM probe'), 'every probe finds its person first');

# --------------------------------------- bx_match: travellers on both shards
$coord->safe_psql('postgres', q{
SET search_path = public, bxexit;
INSERT INTO flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
VALUES ('KL', '642', 'JFK', 'AMS', current_date), ('KL', '644', 'JFK', 'AMS', current_date);
-- flight 1: twenty probed people, from both shards
INSERT INTO manifest (flight_id, person_id) SELECT 1, n FROM probe ORDER BY n LIMIT 20;
-- flight 2: only people of shard s1
INSERT INTO manifest (flight_id, person_id)
SELECT 2, n FROM probe WHERE satisfies_hash_partition('gallery'::regclass, 2, 0, n::int8) ORDER BY n LIMIT 5;
});
is($coord->safe_psql('postgres', q{SELECT count(DISTINCT g.tableoid) FROM bxexit.manifest m
	JOIN gallery g ON g.person_id = m.person_id WHERE m.flight_id = 1}), '2',
	'flight 1 has travellers on both shards');
# each probed traveller through bx_match, one call at a time; how many
# exit events name the right person
$coord->safe_psql('postgres', q{
CREATE FUNCTION matched_right(flight int8) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	r record;
	e int8;
	n int := 0;
BEGIN
	FOR r IN SELECT p.n, p.t FROM probe p JOIN bxexit.manifest f ON f.person_id = p.n AND f.flight_id = flight
			  ORDER BY p.n LOOP
		SELECT m.exit_event_id INTO e FROM bxexit.bx_match(r.t, flight) m;
		IF (SELECT x.person_id FROM bxexit.exit_event x WHERE x.exit_event_id = e) = r.n THEN
			n := n + 1;
		END IF;
	END LOOP;
	RETURN n;
END
$$;
});
is($coord->safe_psql('postgres', 'SELECT matched_right(1)'), '20',
	'bx_match: all 20 travellers of flight 1 matched to themselves');
is($coord->safe_psql('postgres', q{SELECT min(gallery_size) || ' ' || max(gallery_size) FROM bxexit.exit_event
	WHERE flight_id = 1}), '20 20', 'the gallery of flight 1 held its 20 travellers, from both shards');

# -------------------------------------------------------- a stopped shard
$s2->stop('fast');
($out, $err) = ('', '');
$coord->psql('postgres', 'SELECT count(*) FROM probe p, bxexit.bx_identify(p.t, 5) i',
	stdout => \$out, stderr => \$err, on_error_die => 0, extra_params => ['-v', 'VERBOSITY=verbose']);
like($err, qr/ERROR:  08001: gallery shard "s2" \(partition public\.gallery_s2\) failed: could not connect to server "s2"/,
	'1:N with shard s2 stopped: a clear error naming it (08001)');
is($out, '', 'and no partial answer');
is($coord->safe_psql('postgres', 'SELECT matched_right(2)'), '5',
	'bx_match of a flight whose travellers all live on s1 works with s2 down (its lookup is pruned to s1)');
$coord->psql('postgres', 'SELECT * FROM bxexit.bx_match((SELECT t FROM probe ORDER BY n LIMIT 1), 1)',
	stderr => \$err, on_error_die => 0);
like($err, qr/gallery shard "s2"/, 'bx_match of a flight with travellers on s2 names the stopped shard');

$s2->start;
is($coord->safe_psql('postgres', $answers), $single, 'shard s2 back: 1:N answers as before');

# ----------------------------------------------------------- a slow shard
my $locker = $s1->background_psql('postgres');
$locker->query_safe('BEGIN; LOCK TABLE gallery_s1 IN ACCESS EXCLUSIVE MODE;');
$coord->psql('postgres', 'SELECT count(*) FROM bxexit.bx_identify((SELECT t FROM probe LIMIT 1), 5)',
	stderr => \$err, on_error_die => 0, extra_params => ['-v', 'VERBOSITY=verbose']);
like($err, qr/ERROR:  57014: gallery shard "s1" \(partition public\.gallery_s1\) failed: canceling statement due to statement timeout/,
	"1:N with shard s1 stuck behind a lock: the shard's statement_timeout names it (57014)");
$locker->query_safe('COMMIT;');
$locker->quit;
is($coord->safe_psql('postgres', $answers), $single, 'shard s1 free again: 1:N answers as before');

# ------------------------------------- retention reaches the shards
$coord->safe_psql('postgres', q{
UPDATE bxexit.person SET citizenship = 'USA' WHERE person_id IN (1, 2, 3, 4);
INSERT INTO gallery (person_id, model, template, source, captured_at)
SELECT person_id, model, template, 'exit', now() - interval '3 days' FROM gallery WHERE person_id IN (1, 2, 3, 4, 5, 6) AND source = 'visa';
});
is($coord->safe_psql('postgres', 'SELECT enrollments_deleted FROM bxexit.bx_apply_retention()'), '4',
	'bx_apply_retention deletes the citizens\' old exit captures on whichever shard holds them');
is($coord->safe_psql('postgres', q{SELECT string_agg(person_id::text, ',' ORDER BY person_id) FROM gallery WHERE source = 'exit'}),
	'5,6', 'the other travellers\' exit captures stay');
$coord->safe_psql('postgres', q{DELETE FROM gallery WHERE source = 'exit'});

# --------------------------------------- writes survive a shard's crash
$coord->safe_psql('postgres', q{
INSERT INTO bxexit.person (family_name, citizenship) SELECT 'New' || i, 'NLD' FROM generate_series(1, 50) i;
INSERT INTO gallery (person_id, model, template)
SELECT p.person_id, 'mobilefacenet-v1', bxexit.bx_set_model(bxexit.bx_normalize(array(
		SELECT random() - 0.5 FROM generate_series(1, 128) d WHERE p.person_id > 0)::bxexit.face_embedding), 'mobilefacenet-v1')
  FROM bxexit.person p WHERE p.family_name LIKE 'New%';
});
my $before = $coord->safe_psql('postgres', 'SELECT count(*) FROM gallery');
is($before, '850', 'fifty enrollments more, through the coordinator');
$s1->stop('immediate');
$s2->stop('immediate');
$s1->start;
$s2->start;
is($coord->safe_psql('postgres', 'SELECT count(*) FROM gallery'), $before, 'both shards crashed and restarted: nothing committed is lost');
is($coord->safe_psql('postgres', q{SELECT count(*) FROM gallery g,
	LATERAL bxexit.bx_identify(g.template, 1) i
	WHERE g.enrollment_id > 800 AND i.enrollment_id = g.enrollment_id}),
	'50', 'each new enrollment is found first by a search with its own template');

done_testing();
