# Concurrency soak and crash test of bxann and the border records
# (issue 6, item 3).  Run by bench/soak.sh, which sets the environment
# (PostgreSQL::Test::Cluster, as scripts/tap.sh does) and the options:
#
#   BX_SOAK_SECONDS  load duration (default 300)
#   BX_SOAK_KILLS    kill -9 events during the load (default 3)
#   BX_TEST_PORT     server port (default: the framework picks one)
#
# One cluster; bxexit's records with a gallery of random unit templates of
# model mobilefacenet-v1 in bxexit.enrollment, indexed as the README says
# (bxann expression index, partial on the model).  Forked clients, each
# driving one psql session, run for the whole duration:
#
#	inserter x3   enrollments in transactions of 1-5 rows; one in ten rolls back
#	deleter x2    once the gallery has doubled, deletes 1-5 enrollments per
#	              transaction
#	vacuum        VACUUM bxexit.enrollment in a loop (INDEX_CLEANUP on every
#	              other pass)
#	matcher       bx_match(template, flight) of travellers on a manifest
#	identifier    bx_identify(template, 5) of enrolled templates
#
# Each client logs what it saw committed: an insert counts as committed
# once COMMIT came back, a delete is announced before it is sent, work cut
# off by a crash is "in doubt", every error is logged with its time.
#
# The parent process checks while the load runs, every few seconds, in one
# REPEATABLE READ snapshot: an ordered scan of the bxann index probing all
# lists returns exactly the ids a sequential scan returns; every insert
# logged committed before the snapshot (and never chosen for deletion) is
# among them; deleted and rolled-back rows are not; a sample of rows finds
# itself first by its own template.  bxann_check(index, true) runs under
# the load too.
#
# At evenly spread moments it kills the server with SIGKILL: alternately
# the whole server at once (the postmaster is frozen with SIGSTOP, then it
# and all its children get SIGKILL: the server dies as in a power cut,
# minus the kernel's page cache) and one inserting backend (the postmaster
# then resets shared memory and recovers).  After the restart, with the
# clients paused: every committed row is there and found by the index,
# nothing deleted or rolled back is, and bxann_check(index, true) reports
# a consistent index.  The same checks end the run, then a VACUUM, after
# which the index counts exactly the table's rows.
#
# Errors: a client error is expected only if it says the connection or
# the server went away and it happened between a kill and shortly after
# the restart; any other error fails the run.
use strict;
use warnings;

use IO::Handle;
use IPC::Run;
use POSIX ();
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $seconds = $ENV{BX_SOAK_SECONDS} // 300;
my $nkills = $ENV{BX_SOAK_KILLS} // 3;
my $check_every = $seconds >= 120 ? 15 : 8;
my $dims = 128;
my $people = 400;
my $flights = 5;
my $gallery = 5000;    # enrollments before the index is built
my $model = 'mobilefacenet-v1';
my $index = 'bxexit.enrollment_template_ann';

# connection-or-server-gone messages: expected only around a kill.  A
# bx_match whose audit row's writer (a background worker) is killed a moment
# before its own backend fails closed with the durable-audit error: that too
# is a kill's doing, and only inside a kill window.  So is a parallel
# VACUUM's leader told its workers' postmaster went away (the crash restart
# after the kill: "postmaster exited during a parallel transaction").
my $crash_error = qr/server\ closed\ the\ connection\ unexpectedly|connection\ to\ server\ was\ lost|
	terminating\ connection\ because\ of\ crash|the\ database\ system\ is\ (?:starting\ up|in\ recovery\ mode|shutting\ down|not\ yet\ accepting)|
	connection\ to\ server\ .*\ failed|could\ not\ connect|No\ such\ file\ or\ directory|Connection\ refused|
	Is\ the\ server\ running|no\ connection\ to\ the\ server|
	terminating\ connection\ due\ to\ (?:administrator\ command|unexpected\ postmaster\ exit)|
	could\ not\ send\ data\ to\ server|could\ not\ receive\ data\ from\ server|psql\ exited|
	the\ bxexit\ audit\ writer\ exited\ before\ confirming\ the\ record|
	postmaster\ exited\ during\ a\ parallel\ transaction/x;

my $node = PostgreSQL::Test::Cluster->new('soak',
	$ENV{BX_TEST_PORT} ? (port => $ENV{BX_TEST_PORT}) : ());
$node->init(allows_streaming => 1);    # wal_level = replica, as in production
# restart_after_crash: the postmaster recovers after a backend is killed
# (the framework turns it off).  fsync off: kill -9 does not lose what the
# kernel holds, so it does not weaken this test (a power cut would need it).
# Small shared buffers make index pages go to disk and come back.
$node->append_conf('postgresql.conf', qq{
restart_after_crash = on
fsync = off
shared_buffers = 8MB
max_connections = 40
autovacuum_naptime = 5s
autovacuum_vacuum_scale_factor = 0.02
autovacuum_vacuum_insert_scale_factor = 0.05
deadlock_timeout = 200ms
});
$node->start;

# ------------------------------------------------------------------ setup
my $t_setup = time;
$node->safe_psql('postgres', qq{
CREATE EXTENSION bxexit;
-- a random unit template of the model (plpgsql: evaluated per call)
CREATE FUNCTION soak_template() RETURNS bxexit.face_embedding LANGUAGE plpgsql VOLATILE AS \$\$
BEGIN
	RETURN bxexit.bx_set_model(bxexit.bx_normalize(
		array(SELECT random() - 0.5 FROM generate_series(1, $dims))::bxexit.face_embedding), '$model');
END
\$\$;
CREATE TABLE soak_query (k int PRIMARY KEY, q bxexit.face_embedding);
INSERT INTO soak_query SELECT k, soak_template() FROM generate_series(1, 16) k;
INSERT INTO bxexit.person (family_name, citizenship)
SELECT 'Traveller ' || i, (ARRAY['FRA', 'DEU', 'USA', 'IND', 'BRA'])[1 + i % 5]
  FROM generate_series(1, $people) i;
INSERT INTO bxexit.enrollment (person_id, source, captured_at, template, quality)
SELECT p.person_id, 'visa', now() - interval '1 year', soak_template(), 0.9
  FROM bxexit.person p, generate_series(1, $gallery / $people) k;
INSERT INTO bxexit.flight (carrier, flight_number, departure_airport, arrival_airport, departure_date)
SELECT 'BX', f::text, 'JFK', 'CDG', current_date FROM generate_series(1, $flights) f;
INSERT INTO bxexit.manifest (flight_id, person_id)
SELECT f.flight_id, p.person_id
  FROM bxexit.flight f JOIN bxexit.person p ON p.person_id % $flights = f.flight_id % $flights;
CREATE INDEX enrollment_template_ann ON bxexit.enrollment
 USING bxann ((template::bxexit.face_embedding($dims)) bxexit.face_embedding_cosine_ops)
 WHERE model = '$model';
ANALYZE;
});
my ($pmin, $pmax) = split /\|/,
  $node->safe_psql('postgres', 'SELECT min(person_id), max(person_id) FROM bxexit.person');
my ($fmin, $fmax) = split /\|/,
  $node->safe_psql('postgres', 'SELECT min(flight_id), max(flight_id) FROM bxexit.flight');
my $nlists = $node->safe_psql('postgres', "SELECT lists FROM bxexit.bxann_index_info('$index')");
note(sprintf('setup: %d people, %d enrollments, %d flights, index with %d lists, %.1f s',
		$people, $gallery, $flights, $nlists, time - $t_setup));

# every committed row is found: all lists probed, the whole beam kept
my $all_lists = qq{SET LOCAL enable_seqscan = off; SET LOCAL enable_sort = off;
SET LOCAL enable_bitmapscan = off; SET LOCAL bxann.probes = 32768; SET LOCAL bxann.ef_search = 1000;
SET LOCAL bxann.max_scan_tuples = -1;};
my $index_scan = qq{SELECT e.enrollment_id FROM bxexit.enrollment e WHERE e.model = '$model'
 ORDER BY e.template::bxexit.face_embedding($dims) OPERATOR(bxexit.<=>) (SELECT q FROM soak_query WHERE k = QUERYK)};
my $plan = $node->safe_psql('postgres',
	"BEGIN; $all_lists EXPLAIN (COSTS OFF) " . ($index_scan =~ s/QUERYK/1/r) . '; COMMIT;');
like($plan, qr/Index Scan using enrollment_template_ann/,
	'the checks scan the bxann index (expression index, partial on the model)');

# ------------------------------------------------------------- the clients
my $dir = PostgreSQL::Test::Utils::tempdir;
my $stop_file = "$dir/stop";
my $pause_file = "$dir/pause";
my $connstr = $node->connstr('postgres');
my $parent = $$;

# A psql session driven through pipes.  run() sends a script and waits for
# its end marker on stdout and stderr; returns (status, stdout, stderr) with
# status 'done', or 'lost' when psql exited (the connection died) or hung.
package Session
{
	sub new
	{
		my ($class, $connstr, $name) = @_;
		my $self = bless { in => '', out => '', err => '', n => 0 }, $class;
		$self->{timer} = IPC::Run::timeout(180);
		$self->{h} = IPC::Run::start(
			[ 'psql', '-X', '-A', '-t', '-v', 'ON_ERROR_STOP=0', '-d', "$connstr application_name=$name" ],
			'<', \$self->{in}, '>', \$self->{out}, '2>', \$self->{err}, $self->{timer});
		my ($status, $out, $err) = $self->run('SELECT 1;');
		return ($status eq 'done' && $out =~ /^1$/m) ? ($self, '') : (undef, $err);
	}

	sub run
	{
		my ($self, $sql) = @_;
		my $marker = '__soak_' . ++$self->{n} . '__';
		($self->{out}, $self->{err}) = ('', '');
		$self->{in} .= "$sql\n\\echo $marker\n\\warn $marker\n";
		$self->{timer}->start(180);
		my $ok = eval {
			while ($self->{out} !~ /^$marker$/m || $self->{err} !~ /^$marker$/m)
			{
				return 0 unless $self->{h}->pumpable;
				$self->{h}->pump;
			}
			1;
		};
		my ($out, $err) = ($self->{out}, $self->{err});
		if (!$ok)
		{
			# a psql that exited while we wrote to it is a broken pipe, not a hang
			$err .= (!$@ || $@ =~ /Broken pipe/) ? "\npsql exited" : "\npsql hung: $@";
			eval { $self->{h}->kill_kill; };
			return ('lost', $out, $err);
		}
		s/^$marker\n?//m for ($out, $err);
		return ('done', $out, $err);
	}

	sub close
	{
		my ($self) = @_;
		$self->{in} .= "\\q\n";
		eval { $self->{h}->finish; 1 } or eval { $self->{h}->kill_kill; };
	}
}

package main;

sub touch
{
	my ($file) = @_;
	open(my $fh, '>', $file) or die "create $file: $!";
	close($fh);
}

# Log one line for the parent (flushed at once; lines are whole).
sub logline
{
	my ($fh, $line) = @_;
	print $fh "$line\n";
}

# errors in a psql stderr capture: the ERROR/FATAL lines and libpq's
sub errors_in
{
	my ($err) = @_;
	return grep { /ERROR|FATAL|PANIC|server closed|connection|could not|psql exited|psql hung/ }
	  split /\n/, $err;
}

# One unit of work per loop turn, by client kind.  Returns nothing; logs.
sub client_turn
{
	my ($kind, $s, $log) = @_;
	my $now = sprintf('%.3f', time);

	if ($kind eq 'inserter')
	{
		my $rows = 1 + int(rand(5));
		my $commit = rand() < 0.9;
		my ($status, $out, $err) = $s->run(qq{BEGIN;
INSERT INTO bxexit.enrollment (person_id, source, captured_at, template, quality)
SELECT $pmin + (random() * ($pmax - $pmin))::int, 'exit', now(), soak_template(), 0.9
  FROM generate_series(1, $rows) RETURNING enrollment_id;
@{[ $commit ? 'COMMIT' : 'ROLLBACK' ]};});
		my @ids = $out =~ /^(\d+)$/mg;
		my @lines = split /\n/, $out;
		my $last = $lines[-1] // '';
		if (!$commit)
		{
			logline($log, "A $_") for @ids;    # never committed, whatever happened
		}
		elsif ($status eq 'done' && $last eq 'COMMIT' && @ids == $rows)
		{
			logline($log, "I $_") for @ids;
		}
		else
		{
			logline($log, "?I $_") for @ids;
		}
		logline($log, "E $now $_") for errors_in($err);
		return $status;
	}
	if ($kind eq 'deleter')
	{
		# once the gallery has grown to twice its size, pick up to five
		# rows, announce them, then delete them in one transaction
		my ($status, $out, $err) = $s->run(qq{SELECT enrollment_id FROM bxexit.enrollment
 WHERE (SELECT count(*) FROM bxexit.enrollment) > 2 * $gallery
   AND enrollment_id >= (SELECT (random() * max(enrollment_id))::bigint FROM bxexit.enrollment)
 ORDER BY enrollment_id LIMIT 1 + (random() * 4)::int;});
		logline($log, "E $now $_") for errors_in($err);
		return $status if $status ne 'done';
		my @ids = $out =~ /^(\d+)$/mg;
		if (!@ids)
		{
			sleep(0.05);
			return $status;
		}
		logline($log, "X $_") for @ids;
		($status, $out, $err) = $s->run(qq{BEGIN;
DELETE FROM bxexit.enrollment WHERE enrollment_id = ANY ('{@{[ join(',', @ids) ]}}') RETURNING enrollment_id;
COMMIT;});
		my %gone = map { $_ => 1 } $out =~ /^(\d+)$/mg;
		my @lines = split /\n/, $out;
		my $last = $lines[-1] // '';
		if ($status eq 'done' && $last eq 'COMMIT')
		{
			logline($log, ($gone{$_} ? 'D' : 'N') . " $_") for @ids;
		}
		else
		{
			logline($log, "?D $_") for @ids;
		}
		logline($log, "E $now $_") for errors_in($err);
		return $status;
	}
	if ($kind eq 'vacuum')
	{
		# every other pass forces the index pass: with few dead rows a plain
		# VACUUM may skip it (INDEX_CLEANUP auto)
		my ($status, $out, $err) = $s->run(rand() < 0.5 ? 'VACUUM bxexit.enrollment;'
			: 'VACUUM (INDEX_CLEANUP on) bxexit.enrollment;');
		my @errors = errors_in($err);
		logline($log, 'V') if $status eq 'done' && !@errors;
		logline($log, "E $now $_") for @errors;
		sleep(0.5);
		return $status;
	}
	if ($kind eq 'matcher')
	{
		my $f = $fmin + int(rand($fmax - $fmin + 1));
		# the gate's answer names nobody: who matched is read from the exit
		# event, in a second statement (which sees what bx_match wrote)
		my ($status, $out, $err) = $s->run(qq{CREATE TEMP TABLE IF NOT EXISTS soak_answer (pid int8, eid int8);
TRUNCATE soak_answer;
INSERT INTO soak_answer SELECT s.pid, d.exit_event_id
  FROM (SELECT e.person_id AS pid, e.template FROM bxexit.manifest m
          JOIN bxexit.enrollment e ON e.person_id = m.person_id AND e.model = '$model'
         WHERE m.flight_id = $f ORDER BY random() LIMIT 1) s,
       LATERAL bxexit.bx_match(s.template, $f) d;
SELECT x.decision || '|' || (x.person_id = a.pid)::text
  FROM soak_answer a JOIN bxexit.exit_event x ON x.exit_event_id = a.eid;});
		my ($decision, $right) = $out =~ /^(\w+)\|(\w+)$/m;
		logline($log, "M $decision $right") if $status eq 'done' && defined $decision;
		logline($log, "E $now $_") for errors_in($err);
		return $status;
	}
	if ($kind eq 'identifier')
	{
		# 1:N with a random enrolled template: its owner should come first
		my ($status, $out, $err) = $s->run(qq{SELECT s.eid || '|' || coalesce((SELECT (i.person_id = s.pid)::text
         FROM bxexit.bx_identify(s.template, 5) i WHERE i.rank = 1), 'none')
  FROM (SELECT enrollment_id AS eid, person_id AS pid, template FROM bxexit.enrollment
         WHERE model = '$model' ORDER BY random() LIMIT 1) s;});
		my ($eid, $hit) = $out =~ /^(\d+)\|(true|false|none)$/m;
		if ($status eq 'done' && defined $hit && $hit ne 'true')
		{
			# bx_identify searches with a newer snapshot: was the row deleted meanwhile?
			my ($st2, $out2, $err2) = $s->run("SELECT count(*) FROM bxexit.enrollment WHERE enrollment_id = $eid;");
			$hit = 'gone' if $st2 eq 'done' && $out2 =~ /^0$/m;
			$err .= $err2;
		}
		logline($log, "F $hit") if $status eq 'done' && defined $hit;
		logline($log, "E $now $_") for errors_in($err);
		return $status;
	}
	die "unknown client kind $kind";
}

# A client process: connect (retrying while the server is down), take
# turns until the stop file appears, wait while the pause file exists.
sub client_main
{
	my ($kind, $name) = @_;
	open(my $log, '>>', "$dir/$name.log") or die "open log: $!";
	$log->autoflush(1);
	srand($$ ^ int(time * 1000));
	my $s;
	while (!-e $stop_file && getppid() == $parent)
	{
		if (-e $pause_file)
		{
			if ($s) { $s->close; undef $s; }
			touch("$dir/$name.paused");
			sleep(0.05);
			next;
		}
		unlink("$dir/$name.paused");
		if (!$s)
		{
			my $err;
			($s, $err) = Session->new($connstr, $name);
			if (!$s)
			{
				logline($log, sprintf('E %.3f %s', time, $_)) for errors_in($err || 'psql exited');
				sleep(0.2);
				next;
			}
			logline($log, 'C');
		}
		my $status = client_turn($kind, $s, $log);
		if ($status ne 'done')
		{
			eval { $s->close; };
			undef $s;
		}
	}
	$s->close if $s;
	close($log);
	# no END blocks in a child: they would stop the cluster
	POSIX::_exit(0);
}

my @kinds = (('inserter') x 3, ('deleter') x 2, 'vacuum', 'matcher', 'identifier');
my %count_of;
my @clients;
for my $kind (@kinds)
{
	my $name = $kind . ++$count_of{$kind};
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		eval { client_main($kind, $name); };
		POSIX::_exit(1);    # never the parent's END blocks
	}
	push @clients, { pid => $pid, name => $name };
}

# However the parent ends (a failure, Ctrl-C), stop the clients before the
# framework's END block stops the cluster (END blocks run last-defined first).
$SIG{INT} = $SIG{TERM} = sub { die "interrupted\n"; };
END
{
	if (defined $parent && $$ == $parent)
	{
		my $status = $?;
		touch($stop_file) if defined $stop_file && -d $dir;
		for my $c (@clients)
		{
			my $deadline = time + 30;
			sleep(0.1) while time < $deadline && waitpid($c->{pid}, POSIX::WNOHANG()) == 0;
			if (waitpid($c->{pid}, POSIX::WNOHANG()) == 0) { kill('KILL', $c->{pid}); waitpid($c->{pid}, 0); }
		}
		$? = $status;
	}
}

# ---------------------------------------------------- what the clients saw
my %state = (
	committed => {},    # id => 1: insert committed
	aborted => {},      # id => 1: rolled back
	doubt_ins => {},    # id => 1: commit sent, answer lost
	intent => {},       # id => 1: chosen for deletion
	deleted => {},      # id => 1: delete committed
	doubt_del => {},    # id => 1
	errors => [],       # [time, client, text]
	matches => 0, match_right => 0, match_decisions => {},
	identifies => 0, identify_hits => 0, identify_gone => 0,
	vacuums => 0, reconnects => 0,
);
my %offset;
# the gallery loaded at setup is committed too
$state{committed}{$_} = 1
  for split /\n/, $node->safe_psql('postgres', 'SELECT enrollment_id FROM bxexit.enrollment');

# Read what the clients logged since the last call.
sub read_logs
{
	for my $c (@clients)
	{
		my $file = "$dir/$c->{name}.log";
		open(my $fh, '<', $file) or next;
		seek($fh, $offset{$file} // 0, 0);
		while (my $line = <$fh>)
		{
			last unless $line =~ /\n$/;    # a line being written: next time
			$offset{$file} += length($line);
			chomp $line;
			my ($tag, $rest) = split / /, $line, 2;
			if    ($tag eq 'I')  { $state{committed}{$rest} = 1; }
			elsif ($tag eq 'A')  { $state{aborted}{$rest} = 1; }
			elsif ($tag eq '?I') { $state{doubt_ins}{$rest} = 1; }
			elsif ($tag eq 'X')  { $state{intent}{$rest} = 1; }
			elsif ($tag eq 'D')  { $state{deleted}{$rest} = 1; }
			elsif ($tag eq '?D') { $state{doubt_del}{$rest} = 1; }
			elsif ($tag eq 'N')  { }
			elsif ($tag eq 'V')  { $state{vacuums}++; }
			elsif ($tag eq 'C')  { $state{reconnects}++; }
			elsif ($tag eq 'M')
			{
				my ($decision, $right) = split / /, $rest;
				$state{matches}++;
				$state{match_decisions}{$decision}++;
				$state{match_right}++ if $right eq 'true';
			}
			elsif ($tag eq 'F')
			{
				$state{identifies}++;
				$state{identify_hits}++ if $rest eq 'true';
				$state{identify_gone}++ if $rest eq 'gone';
			}
			elsif ($tag eq 'E')
			{
				my ($t, $text) = split / /, $rest, 2;
				push @{ $state{errors} }, [ $t, $c->{name}, $text ];
			}
		}
		close($fh);
	}
}

# ------------------------------------------------------------------ checks
my %figures = (checks => 0, rows_checked => 0, self_searches => 0, bxann_checks => 0);
my @problems;

# Run SQL in one session; dies with the error text on failure.
sub sql_or_problem
{
	my ($label, $sql) = @_;
	my ($stdout, $stderr) = ('', '');
	my $rc = $node->psql('postgres', $sql, stdout => \$stdout, stderr => \$stderr,
		on_error_stop => 1);
	if ($rc != 0)
	{
		push @problems, "$label: psql failed: $stderr";
		return undef;
	}
	return $stdout;
}

# One consistency check (see the file header); with $with_bxann_check,
# bxann_check(index, true) after it.  Under load, rows committed after the
# logs were read are not required, and rows announced for deletion by the
# time the query ended are not either.  Returns (ok, committed rows
# required, rows in the table).
sub check_rows
{
	my ($label, $with_bxann_check) = @_;
	read_logs();
	my %committed = %{ $state{committed} };
	my %deleted = %{ $state{deleted} };
	my $k = 1 + int(rand(16));
	my $out = sql_or_problem($label, qq{BEGIN ISOLATION LEVEL REPEATABLE READ;
$all_lists
SELECT 'i' || id FROM (@{[ $index_scan =~ s/QUERYK/$k/r ]}) s(id);
SET LOCAL enable_seqscan = on; SET LOCAL enable_indexscan = off; SET LOCAL enable_indexonlyscan = off;
SELECT 'h' || enrollment_id FROM bxexit.enrollment WHERE model = '$model';
SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = on;
SELECT 's' || s.id || ':' || (SELECT e.enrollment_id FROM bxexit.enrollment e WHERE e.model = '$model'
         ORDER BY e.template::bxexit.face_embedding($dims) OPERATOR(bxexit.<=>) s.t::bxexit.face_embedding($dims) LIMIT 1)
  FROM (SELECT enrollment_id AS id, template AS t FROM bxexit.enrollment
         WHERE model = '$model' ORDER BY random() LIMIT 20) s;
COMMIT;});
	return unless defined $out;
	read_logs();    # intents logged since: those rows may be gone already
	my (%index, %heap);
	my ($self_total, $self_ok) = (0, 0);
	for my $line (split /\n/, $out)
	{
		if    ($line =~ /^i(\d+)$/)       { $index{$1} = 1; }
		elsif ($line =~ /^h(\d+)$/)       { $heap{$1} = 1; }
		elsif ($line =~ /^s(\d+):(\d*)$/) { $self_total++; $self_ok++ if $1 eq $2; }
	}
	my @p;
	my @not_in_index = grep { !$index{$_} } keys %heap;
	my @not_in_heap = grep { !$heap{$_} } keys %index;
	push @p, scalar(@not_in_index) . ' rows not returned by the index scan (e.g. ' . join(',', (sort @not_in_index)[0..min(4, $#not_in_index)]) . ')' if @not_in_index;
	push @p, scalar(@not_in_heap) . ' index scan rows not in the table' if @not_in_heap;
	my @lost = grep { !$index{$_} && !$state{intent}{$_} } keys %committed;
	push @p, scalar(@lost) . ' committed rows missing (e.g. ' . join(',', (sort @lost)[0..min(4, $#lost)]) . ')' if @lost;
	my @undead = grep { $heap{$_} } keys %deleted;
	push @p, scalar(@undead) . ' deleted rows visible' if @undead;
	my @zombies = grep { $heap{$_} } keys %{ $state{aborted} };
	push @p, scalar(@zombies) . ' rolled-back rows visible' if @zombies;
	push @p, "self-search found the row itself first for $self_ok of $self_total" if $self_ok != $self_total;
	$figures{checks}++;
	$figures{rows_checked} += keys %committed;
	$figures{self_searches} += $self_total;

	if ($with_bxann_check)
	{
		my $c = sql_or_problem("$label bxann_check", qq{SELECT live_elements || '|' || deleted_elements || '|' || heap_tuples
  FROM bxexit.bxann_check('$index', true);});
		$figures{bxann_checks}++ if defined $c;
		$figures{last_bxann_check} = $c if defined $c;
	}
	push @problems, map { "$label: $_" } @p;
	return (scalar(@p) == 0, scalar(keys %committed) - scalar(grep { $state{intent}{$_} } keys %committed),
		scalar(keys %heap));
}

sub min { return $_[0] < $_[1] ? $_[0] : $_[1]; }

# pause / resume the clients between their transactions
sub pause_clients
{
	touch($pause_file);
	my $deadline = time + 120;
	while (time < $deadline)
	{
		return 1 unless grep { !-e "$dir/$_->{name}.paused" } @clients;
		sleep(0.1);
	}
	return 0;
}

sub resume_clients { unlink($pause_file); }

# ------------------------------------------------------------------- kills
my @kill_windows;    # [start, end] of the time a crash may explain errors
my $t0;              # start of the load

# pids of the running postmaster and of its children
sub server_pids
{
	my $pm = $node->{_pid};
	my @children;
	opendir(my $d, '/proc') or die "opendir /proc: $!";
	for my $p (grep { /^\d+$/ } readdir($d))
	{
		open(my $fh, '<', "/proc/$p/stat") or next;
		my $stat = <$fh>;
		close($fh);
		next unless defined $stat && $stat =~ /\)\s+\S\s+(\d+)/;
		push @children, $p if $1 == $pm;
	}
	closedir($d);
	return ($pm, @children);
}

sub alive
{
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/stat") or return 0;
	my $stat = <$fh>;
	close($fh);
	return defined $stat && $stat !~ /\)\s+Z\s/;    # a zombie is dead
}

# SIGKILL the whole server at once.  Returns once every process is gone.
sub kill_server
{
	my ($pm, @children) = server_pids();
	kill('STOP', $pm);    # no more forks while the children are listed
	($pm, @children) = server_pids();
	kill('KILL', $pm, @children);
	my $deadline = time + 60;
	sleep(0.05) while time < $deadline && grep { alive($_) } $pm, @children;
	BAIL_OUT('server processes survived SIGKILL') if grep { alive($_) } $pm, @children;

	# The dead postmaster may linger as a zombie if nothing reaps it (as
	# in a container whose PID 1 does not): its PID still answers kill 0,
	# and a new postmaster would take its lock files for live ones.
	# Every server process is dead, so they are stale: remove them.
	if (-e "/proc/$pm")
	{
		unlink($node->data_dir . '/postmaster.pid');
		unlink($node->host . '/.s.PGSQL.' . $node->port . '.lock');
	}
	$node->{_pid} = undef;    # as PostgreSQL::Test::Cluster::kill9 does
	return scalar(@children) + 1;
}

# SIGKILL one inserting backend: the postmaster resets and recovers.
sub kill_backend
{
	my $pid = $node->safe_psql('postgres', q{
SELECT pid FROM pg_stat_activity WHERE application_name LIKE 'inserter%' ORDER BY state = 'active' DESC LIMIT 1});
	return 0 unless $pid =~ /^\d+$/;
	kill('KILL', $pid);
	return 1;
}

my $kills_done = 0;
my @kill_results;

sub crash_and_recover
{
	my ($n) = @_;
	my $mode = $n % 2 == 1 ? 'server' : 'backend';
	read_logs();
	my $inserted_before = keys(%{ $state{committed} }) - $gallery;
	my $t_kill = time;
	my $log_offset = -s $node->logfile;
	my $what;
	if ($mode eq 'server')
	{
		my $procs = kill_server();
		$what = "SIGKILL to the postmaster and its $procs processes at once";
		$node->start;
	}
	else
	{
		kill_backend() or BAIL_OUT('no inserting backend to kill');
		$what = 'SIGKILL to an inserting backend';
		$node->wait_for_log(qr/all server processes terminated; reinitializing/, $log_offset);
		$node->wait_for_log(qr/database system is ready to accept connections/, $log_offset);
	}
	$node->poll_query_until('postgres', 'SELECT true') or BAIL_OUT('server did not come back');
	my $t_up = time;
	ok($node->log_contains(qr/database system was (?:interrupted|not properly shut down)|redo starts|all server processes terminated/, $log_offset),
		"kill $n ($mode): crash recovery ran");
	# clients keep failing a little while after the restart: their sessions
	# notice the crash on their next query
	push @kill_windows, [ $t_kill - 1, $t_up + 15 ];

	pause_clients() or BAIL_OUT('clients did not pause');
	my ($ok, $expected, $rows) = check_rows("after kill $n", 1);
	ok($ok, "kill $n ($mode): all $expected committed rows present and found by the index, none deleted or rolled back ($rows rows)");
	ok(defined $figures{last_bxann_check}, "kill $n ($mode): bxann_check(index, true) reports a consistent index");
	resume_clients();
	push @kill_results, sprintf('kill %d at %.0f s: %s; %d enrollments inserted and committed before it; back in %.1f s; bxann_check after it (live|deleted|heap tuples) %s',
		$n, $t_kill - $t0, $what, $inserted_before, $t_up - $t_kill, $figures{last_bxann_check} // 'failed');
	$kills_done++;
	undef $figures{last_bxann_check};
}

# -------------------------------------------------------------- main loop
$t0 = time;
my $t_end = $t0 + $seconds;
my @kill_at = map { $t0 + $seconds * $_ / ($nkills + 1) + rand($seconds / ($nkills + 1) / 4) } 1 .. $nkills;
my $next_check = $t0 + $check_every;
my ($periodic, $periodic_ok) = (0, 0);
while (time < $t_end)
{
	if (@kill_at && time >= $kill_at[0])
	{
		shift @kill_at;
		crash_and_recover($kills_done + 1);
		$next_check = time + $check_every;
		next;
	}
	if (time >= $next_check)
	{
		my ($ok) = check_rows("check under load at " . int(time - $t0) . ' s', 1);
		$periodic++;
		$periodic_ok++ if $ok;
		$next_check = time + $check_every;
	}
	sleep(0.2);
}
my $duration = time - $t0;

# stop the clients
touch($stop_file);
for my $c (@clients)
{
	my $deadline = time + 120;
	while (time < $deadline) { last if waitpid($c->{pid}, POSIX::WNOHANG()) != 0; sleep(0.1); }
	if (kill(0, $c->{pid})) { kill('KILL', $c->{pid}); waitpid($c->{pid}, 0); }
}
read_logs();

ok($periodic > 0 && $periodic_ok == $periodic,
	"$periodic checks under load: index scan = table, committed rows found, deleted and rolled-back rows absent")
  or diag(join("\n", @problems));

my ($final_ok, $final_expected, $final_rows) = check_rows('final', 1);
ok($final_ok, "final: all $final_expected committed rows present and found by the index ($final_rows rows)")
  or diag(join("\n", @problems));
my $final_check = $figures{last_bxann_check};
ok(defined $final_check, "final: bxann_check(index, true) consistent ($final_check)");

# after VACUUM, with nothing running, the index holds exactly the rows
$node->safe_psql('postgres', 'VACUUM (INDEX_CLEANUP on) bxexit.enrollment');
my ($live, $deleted, $heap_tuples) = split /\|/, $node->safe_psql('postgres',
	"SELECT live_elements, deleted_elements, heap_tuples FROM bxexit.bxann_check('$index')");
my $rows = $node->safe_psql('postgres', "SELECT count(*) FROM bxexit.enrollment WHERE model = '$model'");
is("$live|$heap_tuples", "$rows|$rows", "after VACUUM the index has one live element per row ($rows)");

# errors: only connection losses around a kill
my (@expected_errors, @unexpected_errors);
for my $e (@{ $state{errors} })
{
	my ($t, $client, $text) = @$e;
	my $in_window = grep { $t >= $_->[0] && $t <= $_->[1] } @kill_windows;
	if ($in_window && $text =~ $crash_error) { push @expected_errors, $e; }
	else { push @unexpected_errors, $e; }
}
is(scalar(@unexpected_errors), 0, 'no client error other than connection losses around the kills')
  or diag(join("\n", (map { sprintf('%.3f s %s: %s', $_->[0] - $t0, $_->[1], $_->[2]) }
				@unexpected_errors[0 .. min(19, $#unexpected_errors)]),
			map { sprintf('kill window %.1f to %.1f s', $_->[0] - $t0, $_->[1] - $t0) } @kill_windows));
is($kills_done, $nkills, "survived $nkills kill -9");
ok($state{matches} > 0 && $state{match_right} == $state{matches},
	"bx_match: $state{match_right} of $state{matches} gate matches named the traveller whose template was presented");
# a template's own row sits in the list its vector routes to, which every
# search probes first: its owner must come first (rows deleted while the
# call ran aside)
my $kept = $state{identifies} - $state{identify_gone};
ok($kept > 0 && $state{identify_hits} >= 0.99 * $kept,
	"bx_identify: the template's owner ranked first in $state{identify_hits} of $kept calls (at least 99%)");

# ------------------------------------------------------------------ figures
my $n_ins = keys %{ $state{committed} };
my $n_del = keys %{ $state{deleted} };
note('---- soak figures ----');
note(sprintf('duration %.0f s of load (%s), %d kills survived, %d clients', $duration,
		$seconds >= 120 ? 'full' : 'quick', $kills_done, scalar(@clients)));
note(sprintf('enrollments: %d in the gallery at start, %d inserted and committed, %d rolled back, %d in doubt at a kill, %d deleted (%d in doubt), %d at the end',
		$gallery, $n_ins - $gallery, scalar(keys %{ $state{aborted} }), scalar(keys %{ $state{doubt_ins} }),
		$n_del, scalar(keys %{ $state{doubt_del} }), $rows));
note(sprintf('checks: %d under load + %d after kills + 1 final; %d committed-row verifications (rows x checks); %d self-searches; %d bxann_check runs',
		$periodic, $kills_done, $figures{rows_checked}, $figures{self_searches}, $figures{bxann_checks}));
my $identify_kept = $state{identifies} - $state{identify_gone};
note(sprintf('bx_match: %d calls (%s); bx_identify: %d calls, rank 1 = the template\'s owner in %d of the %d whose row was not deleted meanwhile (%.1f%%)',
		$state{matches}, join(', ', map { "$_ $state{match_decisions}{$_}" } sort keys %{ $state{match_decisions} }),
		$state{identifies}, $state{identify_hits}, $identify_kept,
		$identify_kept ? 100 * $state{identify_hits} / $identify_kept : 0));
note(sprintf('VACUUMs: %d; client reconnects: %d; errors: %d connection losses around kills, %d other',
		$state{vacuums}, $state{reconnects}, scalar(@expected_errors), scalar(@unexpected_errors)));
note($_) for @kill_results;
note("final bxann_check (live|deleted|heap tuples): $final_check; after VACUUM: $live|$deleted|$heap_tuples");

$node->stop;
done_testing();
