# bxann and kill -9 at its two long maintenance steps, and a promoted
# standby.  A backend killed in the graph phase of CREATE INDEX leaves no
# index and the build runs again; a backend killed while VACUUM is in its
# index phase (slowed by vacuum_cost_delay so the kill lands there) leaves
# an index bxann_check finds consistent, and the next VACUUM completes it.
# A streaming standby that replayed all of that, promoted, answers k-NN
# queries exactly as the old primary did and takes inserts.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', q{
restart_after_crash = on
});
$primary->start;
$primary->safe_psql('postgres', q{
CREATE EXTENSION bxexit;
CREATE TABLE big (id int PRIMARY KEY, v bxexit.face_embedding(128));
CREATE TABLE small (id int PRIMARY KEY, v bxexit.face_embedding(128));
SELECT setseed(0.25);
INSERT INTO big
SELECT i, array(SELECT random() - 0.5 FROM generate_series(1, 128) d WHERE i > 0)::bxexit.face_embedding
  FROM generate_series(1, 40000) i;
INSERT INTO small
SELECT i, array(SELECT random() - 0.5 FROM generate_series(1, 128) d WHERE i > 0)::bxexit.face_embedding
  FROM generate_series(1, 5000) i;
});
$primary->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'b', has_streaming => 1);
$standby->start;

# poll_query_until reconnects until the crash-restart is over
sub wait_restarted
{
	my ($node) = @_;
	return $node->poll_query_until('postgres', 'SELECT true');
}

# ------------------------------------------- kill -9 in CREATE INDEX's graph phase
my $create = q{CREATE INDEX big_v_idx ON big USING bxann (v bxexit.face_embedding_cosine_ops) WITH (lists = 200)};
my $builder = $primary->background_psql('postgres', on_error_stop => 0);
my $builder_pid = $builder->query_safe('SELECT pg_backend_pid()');
my $log_offset = -s $primary->logfile;
$builder->query_until(qr/started/, "\\echo started\n$create;\n");
ok($primary->poll_query_until('postgres',
		"SELECT phase FROM pg_stat_progress_create_index WHERE pid = $builder_pid",
		'building index: building graph'),
	'the build reached its graph phase');
is(kill('KILL', $builder_pid), 1, 'kill -9 of the building backend');
eval { $builder->quit };
ok(wait_restarted($primary), 'the server is back after the crash-restart');
ok($primary->log_contains(qr/terminated by signal 9/, $log_offset), 'the server log shows the kill');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM pg_index WHERE indrelid = 'big'::regclass AND indexrelid::regclass::text = 'big_v_idx'}),
	'0', 'no index is left of the killed build');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM big'), '40000', 'the table keeps its 40000 rows');
$primary->safe_psql('postgres', $create);
is($primary->safe_psql('postgres',
		q{SELECT lists, live_elements FROM bxexit.bxann_index_info('big_v_idx')}),
	'200|40000', 'the build runs again to a complete index');

# ------------------------------------ kill -9 while VACUUM is in its index phase
$primary->safe_psql('postgres', q{
CREATE INDEX small_v_idx ON small USING bxann (v bxexit.face_embedding_cosine_ops) WITH (lists = 20);
DELETE FROM small WHERE id % 10 = 0;
});
my $vacuumer = $primary->background_psql('postgres', on_error_stop => 0);
my $vacuum_pid = $vacuumer->query_safe('SELECT pg_backend_pid()');
# a 5 ms sleep per page: seconds in each phase, so the kill lands in the index one
$vacuumer->query_safe('SET vacuum_cost_delay = 5');
$vacuumer->query_safe('SET vacuum_cost_limit = 1');
$log_offset = -s $primary->logfile;
$vacuumer->query_until(qr/started/, "\\echo started\nVACUUM small;\n");
ok($primary->poll_query_until('postgres',
		"SELECT phase FROM pg_stat_progress_vacuum WHERE pid = $vacuum_pid",
		'vacuuming indexes'),
	'VACUUM reached its index phase');
is(kill('KILL', $vacuum_pid), 1, 'kill -9 of the vacuuming backend');
eval { $vacuumer->quit };
ok(wait_restarted($primary), 'the server is back after the crash-restart');
ok($primary->log_contains(qr/terminated by signal 9/, $log_offset), 'the server log shows the kill');
is($primary->safe_psql('postgres',
		q{SELECT heap_tuples, live_elements >= heap_tuples FROM bxexit.bxann_check('small_v_idx', true)}),
	'4500|t', 'bxann_check(index, true) finds the index consistent after the killed VACUUM, every row indexed');
$primary->safe_psql('postgres', 'VACUUM small');
is($primary->safe_psql('postgres',
		q{SELECT live_elements FROM bxexit.bxann_index_info('small_v_idx')}),
	'4500', 'the next VACUUM completes: one live element per row left');

# ------------------------------- inserts, then the standby promoted
$primary->safe_psql('postgres', q{
INSERT INTO small
SELECT i, array(SELECT random() - 0.5 FROM generate_series(1, 128) d WHERE i > 0)::bxexit.face_embedding
  FROM generate_series(5001, 6000) i;
DELETE FROM big WHERE id % 7 = 0;
VACUUM big;
});
$primary->wait_for_catchup($standby, 'replay');

# ten nearest ids of 20 stored vectors, through the index, one line per query
my $knn = q{
SET enable_seqscan = off;
SELECT string_agg(n.ids, E'\n' ORDER BY q.id)
  FROM (SELECT id, v FROM %1$s WHERE id %% 97 = 1 ORDER BY id LIMIT 20) q,
       LATERAL (SELECT string_agg(t.id::text, ',' ORDER BY t.v OPERATOR(bxexit.<=>) q.v, t.id) AS ids
                  FROM (SELECT id, v FROM %1$s ORDER BY v OPERATOR(bxexit.<=>) q.v LIMIT 10) t) n;
};
my %before;
for my $t ('big', 'small')
{
	my $sql = sprintf($knn, $t);
	$before{$t} = $primary->safe_psql('postgres', $sql);
	like($primary->safe_psql('postgres', "SET enable_seqscan = off; EXPLAIN (COSTS OFF) "
				. sprintf(q{SELECT id FROM %1$s ORDER BY v OPERATOR(bxexit.<=>) (SELECT v FROM %1$s WHERE id = 1) LIMIT 10}, $t)),
		qr/Index Scan using ${t}_v_idx/, "$t: the k-NN query scans its bxann index");
}
$primary->stop;
$standby->promote;
for my $t ('big', 'small')
{
	is($standby->safe_psql('postgres', sprintf($knn, $t)), $before{$t},
		"$t: the promoted standby answers the 20 k-NN queries as the old primary did");
}
$standby->safe_psql('postgres', q{
INSERT INTO small
SELECT i, array(SELECT random() - 0.5 FROM generate_series(1, 128) d WHERE i > 0)::bxexit.face_embedding
  FROM generate_series(6001, 6100) i;
});
is($standby->safe_psql('postgres', q{
SET enable_seqscan = off;
SELECT id FROM small ORDER BY v OPERATOR(bxexit.<=>) (SELECT v FROM small WHERE id = 6050) LIMIT 1}),
	'6050', 'the promoted standby takes inserts and finds a new row by its own vector');

done_testing();
