# bxann and crash recovery: two sessions insert committed batches into a
# table with a bxann index (the first into slots freed by VACUUM, then into
# new pages) when the server dies, once by kill -9 of an inserting backend
# (postmaster crash-restart), once by an immediate shutdown.  After recovery
# every committed row is in the table and is found by an index scan with all
# lists probed; the index counts at least the committed rows, exactly the
# live rows after VACUUM; inserts and queries keep working without REINDEX.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $per_batch = 20;
my $nlists = 8;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init(allows_streaming => 1);    # wal_level = replica, as in production
# the postmaster reinitialises after a backend dies (the framework turns it
# off); a small buffer pool makes index pages go to disk and come back
$node->append_conf('postgresql.conf', q{
restart_after_crash = on
shared_buffers = 1MB
});
$node->start;

# Deterministic 16-d data, no two vectors parallel.  A batch is committed
# together with its row in `batches`: the batches listed there are exactly
# the committed ones.  Row ids: worker * 10^7 + batch * 1000 + k.
$node->safe_psql('postgres', qq{
CREATE EXTENSION bxexit;
CREATE FUNCTION emb(i bigint) RETURNS bxexit.face_embedding
LANGUAGE sql IMMUTABLE STRICT AS \$\$
	SELECT array_agg(sin(i * 0.731 + d * 1.37) + 0.4 * cos(i * 0.0123 * d + d) ORDER BY d)::bxexit.face_embedding
	  FROM generate_series(1, 16) d
\$\$;
CREATE TABLE t (id bigint PRIMARY KEY, v bxexit.face_embedding(16));
CREATE TABLE batches (worker int, batch int, nrows int, PRIMARY KEY (worker, batch));
CREATE PROCEDURE insert_batches(w int, first int, last int) LANGUAGE plpgsql AS \$\$
BEGIN
	FOR b IN first..last LOOP
		INSERT INTO t SELECT w * 10000000::bigint + b * 1000 + k, emb(w * 10000000::bigint + b * 1000 + k)
		  FROM generate_series(1, $per_batch) k;
		INSERT INTO batches VALUES (w, b, $per_batch);
		COMMIT;
	END LOOP;
END
\$\$;
INSERT INTO t SELECT i, emb(i) FROM generate_series(1, 2000) i;
CREATE INDEX t_v_idx ON t USING bxann (v bxexit.face_embedding_cosine_ops) WITH (lists = $nlists);
DELETE FROM t WHERE id % 3 = 0;
VACUUM t;
});
is($node->safe_psql('postgres',
		"SELECT live_elements, deleted_elements FROM bxexit.bxann_index_info('t_v_idx')"),
	'1334|666', 'index built, 666 slots freed by VACUUM');

my $all_lists = qq{
SET enable_seqscan = off;
SET bxann.probes = @{[ $nlists * 4 ]};
SET bxann.rerank = 10000;
};
my $query_vector = "emb(987654321)";

# Start the inserting sessions; returns the IPC::Run handles.
sub start_workers
{
	my ($first) = @_;
	my @workers;
	for my $w (1, 2)
	{
		my ($out, $err) = ('', '');
		my $h = IPC::Run::start(
			[
				'psql', '-X', '-q', '-d',
				$node->connstr('postgres') . " application_name=inserter$w",
				'-c', "CALL insert_batches($w, $first, 1000000)"
			],
			'>', \$out, '2>', \$err);
		push @workers, { handle => $h, out => \$out, err => \$err };
	}
	return @workers;
}

# Wait until both workers have committed a few more batches; return the
# batches seen committed, "worker:batch" sorted.
sub wait_for_batches
{
	my ($n) = @_;
	$node->poll_query_until('postgres', qq{
SELECT count(DISTINCT worker) = 2 AND count(*) >= $n FROM batches
}) or die "the inserting sessions did not commit $n batches";
	my $seen = $node->safe_psql('postgres',
		"SELECT worker || ':' || batch FROM batches ORDER BY worker, batch");
	return [ split /\n/, $seen ];
}

# Collect the inserting sessions: both must have been cut off mid-stream
# (their CALL has a million batches to go).
sub finish_workers
{
	my ($label, @workers) = @_;
	my $failed = 0;
	for my $w (@workers)
	{
		$failed++ unless $w->{handle}->finish;
		note 'inserter stderr: ' . ${ $w->{err} };
	}
	is($failed, 2, "$label: both inserting sessions were cut off");
}

# The invariants after recovery.
sub check
{
	my ($label, $committed_before) = @_;

	# every batch seen committed before the crash survived it
	my %after = map { $_ => 1 } split /\n/,
	  $node->safe_psql('postgres', "SELECT worker || ':' || batch FROM batches");
	my @lost = grep { !$after{$_} } @$committed_before;
	is(scalar(@lost), 0, "$label: all " . scalar(@$committed_before)
		  . " batches committed before the crash survived") or diag("lost: @lost");

	# the table holds exactly the rows of the committed batches
	is($node->safe_psql('postgres', q{
SELECT count(*) FROM batches b
 WHERE b.nrows <> (SELECT count(*) FROM t
                    WHERE t.id / 10000000 = b.worker AND t.id % 10000000 / 1000 = b.batch)
}), '0', "$label: every committed batch has all its rows");
	is($node->safe_psql('postgres', q{
SELECT count(*) FROM t
 WHERE t.id >= 10000000
   AND NOT EXISTS (SELECT FROM batches b
                    WHERE t.id / 10000000 = b.worker AND t.id % 10000000 / 1000 = b.batch)
}), '0', "$label: no row of an uncommitted batch is visible");

	# the index finds every row: an unlimited ordered index scan with all
	# lists probed returns the same set of ids as the table
	my $plan = $node->safe_psql('postgres', $all_lists
		  . "EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) $query_vector");
	like($plan, qr/Index Scan using t_v_idx on t/, "$label: the check scans t_v_idx");
	my @from_index = sort { $a <=> $b } split /\n/, $node->safe_psql('postgres', $all_lists
		  . "SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) $query_vector");
	my @from_heap = split /\n/, $node->safe_psql('postgres', q{
SET enable_indexscan = off;
SET enable_bitmapscan = off;
SET enable_indexonlyscan = off;
SELECT id FROM t ORDER BY id;
});
	my $nrows = scalar(@from_heap);
	is(scalar(@from_index), $nrows, "$label: the index scan returns all $nrows rows");
	is_deeply(\@from_index, \@from_heap, "$label: ... and exactly the ids of the table");

	# the index counts at least the committed rows (elements of aborted
	# inserts stay until VACUUM)
	my $live = $node->safe_psql('postgres',
		"SELECT live_elements FROM bxexit.bxann_index_info('t_v_idx')");
	cmp_ok($live, '>=', $nrows, "$label: live_elements ($live) >= rows ($nrows)");

	# nearest neighbours are exact with all lists probed
	is($node->safe_psql('postgres', $all_lists
		  . "SELECT string_agg(id::text, ',') FROM (SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) $query_vector LIMIT 10) s"),
		$node->safe_psql('postgres',
			"SET enable_indexscan = off; SELECT string_agg(id::text, ',') FROM (SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) $query_vector, id LIMIT 10) s"),
		"$label: top 10 by index equal top 10 by sequential scan");
	return $nrows;
}

# ------------------------------------------- round 1: kill -9 of a backend
my @workers = start_workers(1);
my $committed = wait_for_batches(30);
my $pid = $node->safe_psql('postgres',
	"SELECT pid FROM pg_stat_activity WHERE application_name = 'inserter1'");
like($pid, qr/^\d+$/, 'found the inserting backend');
my $log_offset = -s $node->logfile;
is(kill('KILL', $pid), 1, 'kill -9 of the inserting backend');
finish_workers('kill -9', @workers);
$node->wait_for_log(qr/database system is ready to accept connections/, $log_offset);
$node->poll_query_until('postgres', 'SELECT true') or die 'server did not come back';
ok($node->log_contains(qr/terminated by signal 9/, $log_offset),
	'the postmaster saw the backend die and restarted');
check('kill -9', $committed);

# ----------------------------------------- round 2: immediate shutdown
my $next = $node->safe_psql('postgres', 'SELECT max(batch) + 1 FROM batches');
@workers = start_workers($next);
$committed = wait_for_batches(scalar(@$committed) + 30);
$node->stop('immediate');
finish_workers('immediate stop', @workers);
$node->start;
my $nrows = check('immediate stop', $committed);

# ------------------------------------------- VACUUM after recovery, re-check
# INDEX_CLEANUP ON: PostgreSQL skips the indexes when fewer than 2% of the
# table's pages hold dead rows, and the rows a stop aborted can be that few
# (this check then failed by the 9 rows of one batch)
$node->safe_psql('postgres', 'VACUUM (INDEX_CLEANUP ON) t');
is($node->safe_psql('postgres',
		"SELECT live_elements FROM bxexit.bxann_index_info('t_v_idx')"),
	$nrows, 'after VACUUM the index counts exactly the rows of the table');
check('after VACUUM', $committed);

# no REINDEX needed: inserts (reusing slots of aborted rows) and queries work
$node->safe_psql('postgres', q{
INSERT INTO t SELECT 5000000 + i, emb(5000000 + i) FROM generate_series(1, 200) i;
});
is($node->safe_psql('postgres',
		"SELECT live_elements FROM bxexit.bxann_index_info('t_v_idx')"),
	$nrows + 200, 'new inserts are counted by the index');
check('new inserts after recovery', $committed);
is($node->safe_psql('postgres', $all_lists . q{
SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) emb(5000077) LIMIT 1
}), '5000077', 'a new row is its own nearest neighbour');

$node->stop;
done_testing();
