# Cancelling CREATE INDEX ... USING bxann: statement_timeout and
# pg_cancel_backend stop the build (also inside FAISS k-means and the graph
# construction) with SQLSTATE 57014, the backend survives, nothing is left
# behind.  pg_stat_progress_create_index shows the bxann build phases.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('cancel');
$node->init;
$node->start;

# 60,000 rows of 128-d: a build of several seconds with 300 lists
$node->safe_psql('postgres', q{
CREATE EXTENSION bxexit;
CREATE TABLE big (id int, v bxexit.face_embedding(128));
SELECT setseed(0.5);
INSERT INTO big
SELECT i, array(SELECT random() - 0.5 FROM generate_series(1, 128) d WHERE i > 0)::bxexit.face_embedding
  FROM generate_series(1, 60000) i;
VACUUM ANALYZE big;
});

my $create_index = q{CREATE INDEX big_v_idx ON big USING bxann (v bxexit.face_embedding_cosine_ops) WITH (lists = 300)};
my $no_index = q{SELECT count(*) FROM pg_index WHERE indrelid = 'big'::regclass};
my $postmaster_start = $node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()');

# The phases another session sees while the build in backend `builder`
# runs, sampled every 5 ms until the build has gone (at most 120 s; 30 s if
# it never shows up): one line "phase|tuples_total" per change.  With
# cancel_phase, the poller cancels the build as soon as it reaches that
# phase (the shortest, training, lasts a few hundred ms here).
$node->safe_psql('postgres', q{
CREATE FUNCTION watch_build(builder int, cancel_phase text DEFAULT NULL)
RETURNS SETOF text LANGUAGE plpgsql AS $$
DECLARE
	seen_any bool := false;
	cancelled bool := false;
	last text := NULL;
	cur text;
	started timestamptz := clock_timestamp();
BEGIN
	WHILE clock_timestamp() < started + interval '120 s' LOOP
		PERFORM pg_stat_clear_snapshot();
		SELECT p.phase || '|' || p.tuples_total INTO cur
		  FROM pg_stat_progress_create_index p WHERE p.pid = builder;
		IF cur IS NULL THEN
			-- not started yet (give up after 30 s), or finished
			EXIT WHEN seen_any OR clock_timestamp() > started + interval '30 s';
		ELSE
			seen_any := true;
			IF last IS DISTINCT FROM cur THEN
				RETURN NEXT cur;
				last := cur;
			END IF;
			IF NOT cancelled AND cancel_phase IS NOT NULL
			   AND split_part(cur, '|', 1) = cancel_phase THEN
				PERFORM pg_cancel_backend(builder);
				cancelled := true;
				RETURN NEXT 'cancel sent';
			END IF;
		END IF;
		PERFORM pg_sleep(0.005);
	END LOOP;
END
$$;
});

my @bxann_phases = (
	'building index: loading tuples',
	'building index: training lists',
	'building index: assigning tuples to lists',
	'building index: building graph',
	'building index: writing pages',
	'building index: tuning search');

# ------------------- a full build watched from another session: the phases
my $builder = $node->background_psql('postgres', on_error_stop => 0);
my $builder_pid = $builder->query_safe('SELECT pg_backend_pid()');
my $t0 = time();
$builder->query_until(qr/started/, "\\echo started\n$create_index;\n");
my @seen = split /\n/, $node->safe_psql('postgres', "SELECT watch_build($builder_pid)");
my (undef, $err) = $builder->query('SELECT 1');
my $build_seconds = time() - $t0;
note "phases seen: @seen; build took $build_seconds s";
is($err, 0, 'the watched build succeeded');

my %phase_seen;
my $max_total = 0;
for my $line (@seen)
{
	my ($phase, $total) = split /\|/, $line;
	$phase_seen{$phase} = 1;
	$max_total = $total if $total && $total > $max_total;
}
my %known = map { $_ => 1 } ('initializing', 'building index', @bxann_phases);
is_deeply([ grep { !$known{$_} } sort keys %phase_seen ], [], 'only known phases reported')
	or diag("phases seen: @seen");
ok($phase_seen{'building index: building graph'},
	'the graph phase (the longest) was seen') or diag("phases seen: @seen");
# phases appear in build order
my %rank;
@rank{@bxann_phases} = (1 .. @bxann_phases);
my @ranks = map { $rank{ (split /\|/)[0] } // () } @seen;
is_deeply(\@ranks, [ sort { $a <=> $b } @ranks ], 'phases reported in build order')
	or diag("phases seen: @seen");
is($max_total, 60000, 'tuples_total reports the 60000 rows');
is($node->safe_psql('postgres',
		"SELECT lists, live_elements FROM bxexit.bxann_index_info('big_v_idx')"),
	'300|60000', 'the watched build made a complete index');
$node->safe_psql('postgres', 'DROP INDEX big_v_idx');

# -------------------------------- cancel by pg_cancel_backend in a phase
for my $phase ('building index: training lists', 'building index: building graph')
{
	$builder->query_until(qr/started/, "\\echo started\n$create_index;\n");
	my $watch = $node->safe_psql('postgres',
		"SELECT watch_build($builder_pid, '$phase')");
	$builder->query('SELECT 1');    # wait for the build to end
	like($watch, qr/^\Q$phase\E\|.*\ncancel sent$/m, "cancel sent during '$phase'");
	like($builder->{stderr}, qr/canceling statement due to user request/,
		"cancel during '$phase': query canceled")
		or diag($builder->{stderr});
	$builder->{stderr} = '';
	is($builder->query_safe('SELECT pg_backend_pid()'), $builder_pid,
		"cancel during '$phase': the same backend answers the next query");
	is($node->safe_psql('postgres', $no_index), '0',
		"cancel during '$phase': no index left behind");
}

# --------------------------------------------------- statement_timeout
# At fractions of the measured build time, to land in different phases
# whatever the speed of the machine; the SQLSTATE must be 57014.
$builder->query_safe('\set VERBOSITY verbose');
for my $fraction (0.05, 0.2, 0.5)
{
	my $ms = int($build_seconds * 1000 * $fraction) || 1;
	my ($out, $failed) = $builder->query("SET statement_timeout = $ms; $create_index");
	ok($failed, "statement_timeout $ms ms: CREATE INDEX fails");
	like($builder->{stderr}, qr/ERROR:  57014: canceling statement due to statement timeout/,
		"statement_timeout $ms ms: SQLSTATE 57014") or diag($builder->{stderr});
	$builder->{stderr} = '';
	is($builder->query_safe('RESET statement_timeout; SELECT pg_backend_pid(), count(*) FROM big'),
		"$builder_pid|60000", "statement_timeout $ms ms: the backend survives, next query works");
	is($node->safe_psql('postgres', $no_index), '0',
		"statement_timeout $ms ms: no index left behind");
}

# after all that, a build still works in the same session
$builder->query_safe("$create_index");
is($node->safe_psql('postgres', q{
SET enable_seqscan = off;
SET bxann.probes = 300;
SELECT count(*) FROM (SELECT id FROM big ORDER BY v OPERATOR(bxexit.<=>) (SELECT v FROM big WHERE id = 7) LIMIT 10) s;
}), '10', 'a build after the cancels makes a usable index');
$builder->quit;

is($node->safe_psql('postgres', 'SELECT pg_postmaster_start_time()'),
	$postmaster_start, 'no backend crashed (no crash restart)');
ok(!$node->log_contains(qr/terminated by signal|server process .* was terminated/),
	'no server process died');

$node->stop;
done_testing();
