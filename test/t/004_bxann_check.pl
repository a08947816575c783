# bxann_check against damaged index files: with the server stopped, one
# field of one page is overwritten (metapage, page kind, list chain,
# directory, element flags, edge count, edges, heap TID, line pointer,
# stream), the server restarted, and bxann_check must raise XX002 naming
# the damage; the undamaged file is put back after each case and checks
# clean.  The damage between an index and its table (rows missing, elements
# of vacuumed rows) is in the regression test sql/bxann_check.sql.
# Model: amcheck's t/003_check.pl (pg_amcheck), which corrupts files too.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use constant BLCKSZ => 8192;

my $node = PostgreSQL::Test::Cluster->new('check',
	$ENV{BX_TEST_PORT} ? (port => $ENV{BX_TEST_PORT}) : ());
$node->init;
$node->start;

# 16-d rows, 6 lists of about 3 pages each, m = 8
$node->safe_psql('postgres', q{
CREATE EXTENSION bxexit;
CREATE TABLE t (id int, v bxexit.face_embedding(16)) WITH (autovacuum_enabled = off);
INSERT INTO t SELECT i, (SELECT array_agg(sin(i * 0.37 + d * 1.1) + 0.3 * cos(i * d * 0.013) ORDER BY d)
                          FROM generate_series(1, 16) d)::bxexit.face_embedding
  FROM generate_series(1, 1500) i;
CREATE INDEX t_v_idx ON t USING bxann (v bxexit.face_embedding_cosine_ops) WITH (lists = 6, m = 8);
DELETE FROM t WHERE id % 10 = 0;
VACUUM t;
CHECKPOINT;
});
is($node->safe_psql('postgres',
		'SELECT live_elements, deleted_elements, heap_tuples FROM bxexit.bxann_check($$t_v_idx$$)'),
	'1350|150|1350', 'the undamaged index checks clean');

my $path = $node->data_dir . '/'
  . $node->safe_psql('postgres', q{SELECT pg_relation_filepath('t_v_idx')});
$node->stop;

open(my $fh, '<:raw', $path) or die "open $path: $!";
my $original = do { local $/; <$fh> };
close $fh;
is(length($original) % BLCKSZ, 0, 'the index file is whole pages');

# the layout, read from the metapage (struct BxAnnMetaPageData at byte 24)
my ($magic, $version, $dims, $metric, $m, $taglen, $nlists, $options_lists,
	$stream_start, $stream_pages, $stream_bytes, $dir_start, $dir_pages) =
  unpack('V V v v v v V V V V V V V', substr($original, 24, 44));
is("$magic $version", sprintf('%d 4', 0x42584131), 'metapage magic read, format version 4')
  or BAIL_OUT('format changed: update the element layout below');
my $elemstart = $dir_start + $dir_pages;

sub page { my ($data, $blk) = @_; return substr($data, $blk * BLCKSZ, BLCKSZ); }

# the directory entries: [first, last] per list
my @lists = map { [ unpack('V V', substr(page($original, $dir_start), 24 + 8 * $_, 8)) ] }
  0 .. $nlists - 1;
my ($two_page_list) = grep { $lists[$_][0] != $lists[$_][1] } 0 .. $#lists;
ok(defined $two_page_list, "a list with several pages (of $nlists)");
my ($first, $last) = @{ $lists[$two_page_list] };
my $second = unpack('V', substr(page($original, $first), BLCKSZ - 8, 4));

# byte offset in the file of element `off` (1-based) of block `blk`
sub element_at
{
	my ($blk, $off) = @_;
	my $lp = unpack('V', substr(page($original, $blk), 24 + 4 * ($off - 1), 4));
	return $blk * BLCKSZ + ($lp & 0x7FFF);
}
my $elem = element_at($first, 1);

# a page with room left, and its element count (from pd_lower); an
# element: heap TID, flags, count, m 4-byte edges, a code byte a dimension
my $esize = (8 + 4 * $m + $dims + 7) & ~7;
my $perpage = int((BLCKSZ - 24 - 8) / ($esize + 4));
my ($partial) = grep { (unpack('v', substr(page($original, $_), 12, 2)) - 24) / 4 < $perpage }
  map { $_->[1] } grep { $_->[1] != 0xFFFFFFFF } @lists;
my $partial_count = (unpack('v', substr(page($original, $partial), 12, 2)) - 24) / 4;
my $lp1 = $first * BLCKSZ + 24;

# Damage a copy of the file (writes: [offset, packed bytes] pairs), start
# the server, check, stop, put the original back.
sub damaged
{
	my ($label, $writes, $expect) = @_;
	my $copy = $original;
	for (my $i = 0; $i < @$writes; $i += 2)
	{
		substr($copy, $writes->[$i], length($writes->[ $i + 1 ])) = $writes->[ $i + 1 ];
	}
	open(my $out, '>:raw', $path) or die "write $path: $!";
	print $out $copy;
	close $out;
	$node->start;
	my ($stdout, $stderr) = ('', '');
	$node->psql('postgres',
		"\\set VERBOSITY verbose\nSELECT * FROM bxexit.bxann_check('t_v_idx', false)",
		stdout => \$stdout, stderr => \$stderr);
	like($stderr, qr/ERROR:  XX002: .*$expect/, "$label: XX002 with the damage named")
	  or diag("stdout: $stdout");
	$node->stop;
	open($out, '>:raw', $path) or die "write $path: $!";
	print $out $original;
	close $out;
}

damaged('metapage magic', [ 24, pack('V', 0xDEADBEEF) ],
	qr/index "t_v_idx" has metapage magic 0xDEADBEEF, expected 0x42584131/);
damaged('metapage dimensions', [ 24 + 8, pack('v', 32) ],
	qr/metapage has 32 dimensions, its column face_embedding\(16\)/);
# code_bits at byte 144 of BxAnnMetaPageData (format 3)
damaged('metapage code bits', [ 24 + 144, pack('v', 5) ],
	qr/index "t_v_idx" metapage has 5-bit codes, expected 4 or 8/);
damaged('metapage directory place', [ 24 + 36, pack('V', $dir_start + 1) ],
	qr/metapage places the directory at blocks/);
damaged('page kind', [ ($first + 1) * BLCKSZ - 4, pack('v', 2) ],
	qr/block $first is a stream page \(kind 2\), expected an element page/);
damaged('page ID', [ ($first + 1) * BLCKSZ - 2, pack('v', 0x1234) ],
	qr/block $first has page ID 0x1234, expected 0xFF8A/);
damaged('stream NaN', [ ($stream_start * BLCKSZ) + 24 + 4 * $dims, pack('V', 0x7FC00000) ],
	qr/stream float $dims \(block $stream_start\) is NaN: a code scale must be finite and positive/);
damaged('chain cycle', [ ($last + 1) * BLCKSZ - 8, pack('V', $first) ],
	qr/list $two_page_list links block $first \(from block $last\), already on the chain of list $two_page_list/);
damaged('chain past the end', [ ($first + 1) * BLCKSZ - 8, pack('V', 100000) ],
	qr/list $two_page_list links block 100000 \(from block $first\), beyond the end of the index/);
damaged('chain into the directory', [ ($first + 1) * BLCKSZ - 8, pack('V', $dir_start) ],
	qr/list $two_page_list links block $dir_start \(from block $first\), a directory page/);
damaged('orphan page', [ $dir_start * BLCKSZ + 24 + 8 * $two_page_list, pack('V', $second) ],
	qr/block $first is an element page with \d+ elements on the chain of no list/);
damaged('directory half set',
	[ $dir_start * BLCKSZ + 24 + 8 * $two_page_list + 4, pack('V', 0xFFFFFFFF) ],
	qr/list $two_page_list has first page $first and last page 4294967295: both or neither must be set/);
damaged('last page off the chain', [ ($first + 1) * BLCKSZ - 8, pack('V', 0xFFFFFFFF) ],
	qr/list $two_page_list has last page $last, which is not on its chain from block $first \(ends at block $first\)/);
damaged('element flags', [ $elem + 6, pack('C', 0x80) ],
	qr/element \($first,1\) of list $two_page_list has unknown flags 0x80/);
damaged('deleted element with a heap TID', [ $elem + 6, pack('C', 1) ],
	qr/element \($first,1\) of list $two_page_list is deleted but keeps heap TID/);
damaged('live element without a heap TID', [ $elem + 4, pack('v', 0) ],
	qr/element \($first,1\) of list $two_page_list is live with heap TID \(\d+,0\), not a heap tuple location/);
damaged('too many edges', [ $elem + 7, pack('C', 9) ],
	qr/element \($first,1\) of list $two_page_list has 9 edges, the index allows m = 8/);
# an edge is an element number, block * elements a page + offset - 1
sub edge { my ($blk, $off) = @_; return pack('V', $blk * $perpage + $off - 1); }
damaged('edge to the metapage', [ $elem + 8, edge(0, 1) ],
	qr/element \($first,1\) edge 0 points to block 0, a metapage/);
my $far = int(0xFFFFFFFF / $perpage);
damaged('edge past the end', [ $elem + 8, pack('V', 0xFFFFFFFF) ],
	qr/element \($first,1\) edge 0 points to block $far, beyond the end of the index/);
my $slot = $partial_count + 1;
damaged('edge to a missing slot', [ $elem + 8, edge($partial, $slot) ],
	qr/element \($first,1\) edge 0 points to \($partial,$slot\), but block $partial holds $partial_count elements/);
damaged('line pointer length', [ $lp1, pack('V', (unpack('V', substr($original, $lp1, 4)) & 0x1FFFF) | (100 << 17)) ],
	qr/element \($first,1\) has a bad line pointer: flags 1, offset \d+, length 100/);

# put back: clean again, and the index still serves queries
$node->start;
is($node->safe_psql('postgres',
		'SELECT live_elements, deleted_elements, heap_tuples FROM bxexit.bxann_check($$t_v_idx$$)'),
	'1350|150|1350', 'the restored index checks clean');
$node->stop;
done_testing();
