# Parallel workers reading the table for a bxann build (src/am/bxannload.c)
# and searching for its tuning (src/am/bxanntunesearch.c): the build with
# two workers (with CONCURRENTLY, and with three threads after the read,
# whose tuning searches on three processes) makes the same index, page for
# page, and the same tuning as the serial one-thread build; NULL rows are
# skipped; a bad row a worker may read and two models' rows fail the build
# cleanly (SQLSTATE, no index, no worker left), and a build still works
# after them.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('parallel',
	$ENV{BX_TEST_PORT} ? (port => $ENV{BX_TEST_PORT}) : ());
$node->init;
$node->append_conf('postgresql.conf', q{
max_worker_processes = 8
max_parallel_workers = 8
max_parallel_maintenance_workers = 2
});
$node->start;

# 30,000 64-d rows (a 9 MB heap) and 100 NULLs spread through it
$node->safe_psql('postgres', q{
CREATE EXTENSION bxexit;
CREATE EXTENSION pageinspect;
CREATE TABLE t (id int, v bxexit.face_embedding(64)) WITH (autovacuum_enabled = off);
INSERT INTO t SELECT i, CASE WHEN i % 300 = 0 THEN NULL ELSE
    (SELECT array_agg(sin(i * 0.37 + d * 1.3 + (i % 97)) ORDER BY d) FROM generate_series(1, 64) d)::bxexit.face_embedding(64) END
  FROM generate_series(1, 30100) i;
VACUUM ANALYZE t;
});

# every build of this test: one BLAS thread (the same k-means whatever
# the workers), workers even for this small table, and the memory
# plan_create_index_workers wants for them (32 MB a participant)
my $settings = q{
SET bxexit.build_threads = 1;
SET min_parallel_table_scan_size = 0;
SET maintenance_work_mem = '256MB';
SET client_min_messages = debug1;
};

# build an index with this many workers (and threads after the read);
# returns psql's stderr
sub build
{
	my ($name, $workers, $concurrently, $threads, $with) = @_;
	my $how = $concurrently ? 'CONCURRENTLY' : '';
	my ($stdout, $stderr);
	$threads //= 1;
	$with //= '';
	$node->psql('postgres',
		"$settings SET bxexit.build_two_level_lists = 256;
		 SET max_parallel_maintenance_workers = $workers;
		 SET bxexit.build_threads = $threads;
		 CREATE INDEX $how $name ON t USING bxann (v bxexit.face_embedding_cosine_ops) $with;",
		stdout => \$stdout, stderr => \$stderr, on_error_die => 1);
	return $stderr;
}

# 20 top-10 queries, answered through the one index there is
my $answers = q{
SELECT string_agg(ids, ';' ORDER BY q) FROM (
  SELECT q.id AS q, (SELECT string_agg(n.id::text, ',')
                       FROM (SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) q.v LIMIT 10) n) AS ids
    FROM t q WHERE q.id % 1500 = 7) s};

like(build('t_serial', 0), qr/read the table with 0 parallel workers/,
	'max_parallel_maintenance_workers = 0: the leader reads alone');
my $serial_answers = $node->safe_psql('postgres', "SET enable_seqscan = off; $answers");
like($serial_answers, qr/^7,[\d,]+;1507,/, 'the serial index answers, each query first finding itself');
like(build('t_par', 2), qr/read the table with 2 parallel workers/,
	'max_parallel_maintenance_workers = 2: two workers read beside the leader');
like(build('t_conc', 2, 1), qr/read the table with 2 parallel workers/,
	'CREATE INDEX CONCURRENTLY: two workers too');
my $threads_log = build('t_threads', 2, 0, 3);
like($threads_log, qr/k-NN in spilled lists .* \(3 threads\)/,
	'two workers, then k-means, assignment and graph on three threads');
like($threads_log, qr/bxann tuning: searching with 2 parallel workers/,
	'... and the tuning searches with two workers beside the leader');
like(build('t_tune1', 2), qr/bxann tuning: searching with 0 parallel workers/,
	'one thread (bxexit.build_threads = 1): the tuning searches alone');
$node->safe_psql('postgres', 'DROP INDEX t_tune1');

# the same index: every page but the metapage byte for byte (page LSN and
# checksum aside), and the metapage's fields but the build's duration
my $pages = q{
SELECT pg_relation_size('t_serial') = pg_relation_size('%s') AS same_size,
       count(*) FILTER (WHERE md5(substring(get_raw_page('t_serial', i) FROM 11))
                           <> md5(substring(get_raw_page('%s', i) FROM 11))) AS differing
  FROM generate_series(1, (least(pg_relation_size('t_serial'), pg_relation_size('%s')) / 8192)::int - 1) i};
my $info = q{
SELECT format_version, metric, dims, lists, m, model, build_rows, pages, element_pages,
       live_elements, deleted_elements, tuned_probes, tuned_ef_search, tuned_found, code_bits
  FROM bxexit.bxann_index_info('%s')};
my $serial_info = $node->safe_psql('postgres', sprintf($info, 't_serial'));
like($serial_info, qr/^4\|cosine\|64\|150\|\d+\|\|30000\|/, 'the serial index holds the 30,000 rows');
for my $idx ('t_par', 't_conc', 't_threads')
{
	is($node->safe_psql('postgres', sprintf($pages, $idx, $idx, $idx)), 't|0',
		"$idx: every list, directory and stream page as the serial build's");
	is($node->safe_psql('postgres', sprintf($info, $idx)), $serial_info,
		"$idx: the same metapage (lists, tuning, counts) as the serial build's");
	is($node->safe_psql('postgres',
			"SELECT live_elements, heap_tuples FROM bxexit.bxann_check('$idx', true)"),
		'30000|30000', "$idx: bxann_check finds every non-NULL row, nothing else");
}

# 300 lists: trained in two levels (bxanntrain.c; every build here lowers
# bxexit.build_two_level_lists to 256), the same on one thread and on three
build('t_tree1', 0, 0, 1, 'WITH (lists = 300)');
build('t_tree3', 2, 0, 3, 'WITH (lists = 300)');
is($node->safe_psql('postgres', sprintf($pages =~ s/'t_serial'/'t_tree1'/gr, 't_tree3', 't_tree3', 't_tree3')),
	't|0', '300 lists (two-level): three threads give the one-thread build\'s pages');
is($node->safe_psql('postgres',
		"SELECT count(*) FILTER (WHERE live_elements > 0) >= 290, sum(live_elements) FROM bxexit.bxann_list_info('t_tree3')"),
	't|30000', '300 lists (two-level): nearly all used, every row in one');
$node->safe_psql('postgres', 'DROP INDEX t_tree1, t_tree3');

$node->safe_psql('postgres', 'DROP INDEX t_serial, t_conc, t_threads');
is($node->safe_psql('postgres', "SET enable_seqscan = off; $answers"), $serial_answers,
	'20 top-10 queries: the parallel-built index answers as the serial one did');
like($node->safe_psql('postgres', "SET enable_seqscan = off; EXPLAIN (COSTS OFF) $answers"),
	qr/Index Scan using t_par/, '... and those queries used it');
$node->safe_psql('postgres', 'DROP INDEX t_par');

# no bxann build's worker is left behind
my $no_workers = q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'};

# a build that fails with workers: the message and SQLSTATE, nothing left
sub build_fails
{
	my ($what, $sql, $expect) = @_;
	my ($stdout, $stderr);
	my $ret = $node->psql('postgres',
		"$settings SET client_min_messages = warning; \\set VERBOSITY verbose
		 SET max_parallel_maintenance_workers = 2; $sql",
		stdout => \$stdout, stderr => \$stderr);
	isnt($ret, 0, "$what: CREATE INDEX fails");
	like($stderr, $expect, "$what: the error says why");
	is($node->safe_psql('postgres',
			q{SELECT count(*) FROM pg_class WHERE relname = 't_bad'}),
		'0', "$what: no index left behind");
	is($node->poll_query_until('postgres', "$no_workers", '0') ? 1 : 0, 1,
		"$what: no parallel worker left");
}

# a vector of norm 0 somewhere in the middle of the heap
$node->safe_psql('postgres', q{
UPDATE t SET v = (SELECT array_fill(0::real, ARRAY[64]))::bxexit.face_embedding(64) WHERE id = 15001});
build_fails('a norm-0 row',
	'CREATE INDEX t_bad ON t USING bxann (v bxexit.face_embedding_cosine_ops);',
	qr/ERROR:  22000: cannot index a face_embedding of norm 0 for cosine distance/);
$node->safe_psql('postgres', q{DELETE FROM t WHERE id = 15001; VACUUM t});

# rows of two models, far apart in the heap: the leader refuses the
# second model while its workers still send
$node->safe_psql('postgres', q{
CREATE TABLE tags (id int, v bxexit.face_embedding(4)) WITH (autovacuum_enabled = off);
INSERT INTO tags SELECT i, ((CASE WHEN i <= 20000 THEN 'a' ELSE 'b' END) || ':[1,' || i || ',2,3]')::bxexit.face_embedding(4)
  FROM generate_series(1, 40000) i;
VACUUM ANALYZE tags;
});
build_fails('two models',
	'CREATE INDEX t_bad ON tags USING bxann (v bxexit.face_embedding_l2_ops);',
	qr/ERROR:  22000: cannot index face embeddings of different models "[ab]" and "[ab]"/);

# and a parallel build still works after all that
like(build('t_after', 2), qr/read the table with 2 parallel workers/,
	'a parallel build after the failures');
is($node->safe_psql('postgres',
		"SELECT live_elements, heap_tuples FROM bxexit.bxann_check('t_after', true)"),
	'29999|29999', 'it holds every non-NULL row');

$node->stop;
done_testing();
