# bxann and WAL: a streaming standby replays the build (log_newpage_range)
# and every later change (GenericXLog: inserts, VACUUM, inserts reusing
# freed slots) to the same index the primary has; an unlogged bxann index is
# reset from its init fork by crash recovery and stays usable.
# Models: contrib/bloom t/001_wal.pl, pgvector test/t/001_ivfflat_wal.pl.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $nqueries = 20;
my $k = 10;

# every list probed, every candidate re-ranked: the scan is exact, so the
# primary, the standby and a sequential scan must agree id for id
my $exact_index_settings = q{
SET enable_seqscan = off;
SET bxann.probes = 100;
SET bxann.rerank = 10000;
};

# for every query: the ids of its k nearest rows, in order
sub knn_sql
{
	my ($table, $tiebreak) = @_;
	return qq{
SELECT q.qid || ':' || (SELECT coalesce(string_agg(s.id::text, ',' ORDER BY s.rn), '')
                          FROM (SELECT t.id, row_number() OVER () AS rn
                                  FROM (SELECT id FROM $table
                                         ORDER BY v OPERATOR(bxexit.<=>) q.v$tiebreak
                                         LIMIT $k) t) s)
  FROM queries q ORDER BY q.qid;
};
}

sub index_knn
{
	my ($node, $table) = @_;
	return $node->safe_psql('postgres', $exact_index_settings . knn_sql($table, ''));
}

# the truth: a sequential scan (ties broken by id; the data has none)
sub seqscan_knn
{
	my ($node, $table) = @_;
	return $node->safe_psql('postgres', q{
SET enable_indexscan = off;
SET enable_bitmapscan = off;
} . knn_sql($table, ', id'));
}

# every query answered with k ids
sub all_full
{
	my ($result) = @_;
	my @lines = split /\n/, $result;
	return 0 unless @lines == $nqueries;
	for my $line (@lines)
	{
		my ($qid, $ids) = split /:/, $line, 2;
		my @ids = split /,/, ($ids // '');
		return 0 unless @ids == $k;
	}
	return 1;
}

my $index_info_sql = q{
SELECT format_version, metric, dims, lists, m, build_rows, pages, element_pages,
       live_elements, deleted_elements
  FROM bxexit.bxann_index_info('t_v_idx');
};

# Compare the standby with the primary, and the primary with the truth.
sub compare_standby
{
	my ($primary, $standby, $label) = @_;

	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

	my $on_primary = index_knn($primary, 't');
	my $on_standby = index_knn($standby, 't');
	ok(all_full($on_primary), "$label: $nqueries queries with $k ids each on the primary");
	is($on_standby, $on_primary,
		"$label: standby index scan returns the primary's ids in the same order");
	is($on_primary, seqscan_knn($primary, 't'),
		"$label: primary index scan with all lists probed is exact");
	is($standby->safe_psql('postgres', $index_info_sql),
		$primary->safe_psql('postgres', $index_info_sql),
		"$label: bxann_index_info identical on standby and primary");
	is($standby->safe_psql('postgres', 'SELECT count(*) FROM t'),
		$primary->safe_psql('postgres', 'SELECT count(*) FROM t'),
		"$label: same row count on standby and primary");
}

# ---------------------------------------------------------------- setup
my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->start;

# The backup is taken before the table and the index exist: the standby
# gets them by replaying WAL, not from the base backup.
$primary->backup('before_index');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'before_index', has_streaming => 1);
$standby->start;

# Deterministic 16-d data: no two rows or queries are parallel (no ties).
$primary->safe_psql('postgres', q{
CREATE EXTENSION bxexit;
CREATE FUNCTION emb(i int) RETURNS bxexit.face_embedding
LANGUAGE sql IMMUTABLE STRICT AS $$
	SELECT array_agg(sin(i * 0.731 + d * 1.37) + 0.4 * cos(i * 0.0123 * d + d) ORDER BY d)::bxexit.face_embedding
	  FROM generate_series(1, 16) d
$$;
CREATE TABLE queries (qid int PRIMARY KEY, v bxexit.face_embedding(16));
INSERT INTO queries SELECT j, emb(100000 + j * 7919) FROM generate_series(1, 20) j;
CREATE TABLE t (id int PRIMARY KEY, v bxexit.face_embedding(16));
INSERT INTO t SELECT i, emb(i) FROM generate_series(1, 3000) i;
CREATE INDEX t_v_idx ON t USING bxann (v bxexit.face_embedding_cosine_ops) WITH (lists = 8);
});

is($primary->safe_psql('postgres',
		'SELECT lists, live_elements, deleted_elements FROM bxexit.bxann_index_info(\'t_v_idx\')'),
	'8|3000|0', 'index built with 8 lists and 3000 elements');

compare_standby($primary, $standby, 'after build');

# the standby really uses the replayed index, for a literal query and for
# the correlated query of the comparison
my $plan = $standby->safe_psql('postgres', $exact_index_settings . q{
EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) (SELECT v FROM queries WHERE qid = 1) LIMIT 10;
});
like($plan, qr/Index Scan using t_v_idx on t/, 'standby plans an index scan on t_v_idx');
$plan = $standby->safe_psql('postgres',
	$exact_index_settings . 'EXPLAIN (COSTS OFF) ' . knn_sql('t', ''));
like($plan, qr/Index Scan using t_v_idx on t/, 'standby comparison query uses t_v_idx');

# ------------------------------------------- inserts, deletes, VACUUM, reuse
$primary->safe_psql('postgres',
	'INSERT INTO t SELECT i, emb(i) FROM generate_series(3001, 4000) i;');
compare_standby($primary, $standby, 'after inserts');

$primary->safe_psql('postgres', q{
DELETE FROM t WHERE id % 4 = 0;
VACUUM t;
});
is($primary->safe_psql('postgres',
		'SELECT live_elements, deleted_elements FROM bxexit.bxann_index_info(\'t_v_idx\')'),
	'3000|1000', 'VACUUM marked the 1000 deleted rows dead in the index');
compare_standby($primary, $standby, 'after DELETE and VACUUM');

# the same vectors as 500 of the deleted rows fall in the same lists and
# take the freed slots: the index does not grow
my $size_before = $primary->safe_psql('postgres', "SELECT pg_relation_size('t_v_idx')");
$primary->safe_psql('postgres', q{
INSERT INTO t SELECT 10000 + i, emb(i) FROM generate_series(4, 2000, 4) i;
});
is($primary->safe_psql('postgres',
		'SELECT live_elements, deleted_elements FROM bxexit.bxann_index_info(\'t_v_idx\')'),
	'3500|500', 'the new rows reused 500 freed slots');
is($primary->safe_psql('postgres', "SELECT pg_relation_size('t_v_idx')"),
	$size_before, 'the index did not grow');
compare_standby($primary, $standby, 'after inserts reusing freed slots');

# ------------------------------------ unlogged table: reset by crash recovery
$primary->safe_psql('postgres', q{
CREATE UNLOGGED TABLE u (id int, v bxexit.face_embedding(16));
INSERT INTO u SELECT i, emb(i) FROM generate_series(1, 500) i;
CREATE INDEX u_v_idx ON u USING bxann (v bxexit.face_embedding_cosine_ops) WITH (lists = 4);
INSERT INTO u SELECT i, emb(i) FROM generate_series(501, 600) i;
});
is(index_knn($primary, 'u'), seqscan_knn($primary, 'u'),
	'unlogged index scan is exact before the crash');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM u'), '600', 'unlogged table has its rows');

$primary->stop('immediate');
$primary->start;

is($primary->safe_psql('postgres', 'SELECT count(*) FROM u'),
	'0', 'crash recovery emptied the unlogged table');
is($primary->safe_psql('postgres',
		$exact_index_settings . 'SELECT count(*) FROM (SELECT id FROM u ORDER BY v OPERATOR(bxexit.<=>) (SELECT v FROM queries WHERE qid = 1)) s'),
	'0', 'the unlogged index scan returns nothing');
is($primary->safe_psql('postgres',
		'SELECT live_elements, deleted_elements FROM bxexit.bxann_index_info(\'u_v_idx\')'),
	'0|0', 'the unlogged index is empty (init fork)');

$primary->safe_psql('postgres',
	'INSERT INTO u SELECT i, emb(i) FROM generate_series(1, 300) i;');
$plan = $primary->safe_psql('postgres',
	$exact_index_settings . 'EXPLAIN (COSTS OFF) ' . knn_sql('u', ''));
like($plan, qr/Index Scan using u_v_idx on u/, 'unlogged table is queried through its index');
my $u_knn = index_knn($primary, 'u');
ok(all_full($u_knn), 'unlogged index answers every query after the reset');
is($u_knn, seqscan_knn($primary, 'u'), 'unlogged index scan is exact after the reset');
is($primary->safe_psql('postgres',
		$exact_index_settings . 'SELECT count(*) FROM (SELECT id FROM u ORDER BY v OPERATOR(bxexit.<=>) (SELECT v FROM queries WHERE qid = 1)) s'),
	'300', 'unlogged index returns all 300 new rows');

# the logged index survived the crash and the standby still follows
$primary->safe_psql('postgres',
	'INSERT INTO t SELECT i, emb(i) FROM generate_series(20001, 20200) i;');
compare_standby($primary, $standby, 'after the primary crash-restarted');

$standby->stop;
$primary->stop;
done_testing();
