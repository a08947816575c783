# An index of format version 1, as 0.1.0 wrote it, under this library: it
# is read, searched, inserted into, vacuumed and checked, keeps 0.1.0's
# fixed search rule and its 8-bit codes (the fields it does not have are
# never read), and REINDEX makes it the current version with its own tuning.
#
# Versions 2 and 3 only appended fields to the metapage (the tuning's, then
# code_bits; struct BxAnnMetaPageData, include/bxann.h); version 4 stores an
# element's edges as 4-byte element numbers (blkno * per page + offset - 1)
# where 0.1.0 stored 6-byte ItemPointerData.  So the version-1 index is made
# from a version-4 one with the server stopped: version field 1, the
# appended fields zeroed and pd_lower ending the metapage where 0.1.0's
# ended, and every element page rewritten with 6-byte edges.  The index has
# 512 dimensions, 8-bit codes and m 16: 13 elements a page in both layouts,
# so every element keeps its place and its edges their targets.  The test
# reads the layout it relies on from the file and stops if it is not the
# one described.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

use constant BLCKSZ => 8192;
use constant PAGE_HEADER => 24;		# MAXALIGN(SizeOfPageHeaderData)
use constant META_V1 => 128;		# offsetof(BxAnnMetaPageData, tuned_probes)
use constant META_V3 => 152;		# sizeof(BxAnnMetaPageData), versions 3 and 4
use constant SPECIAL => BLCKSZ - 8;	# MAXALIGN(sizeof(BxAnnPageOpaqueData))
use constant ELEMENT_PAGE => 4;		# BXANN_PAGE_ELEMENT
use constant DIMS => 512;
use constant M => 16;
use constant CODE => DIMS;			# 8-bit codes: a byte a dimension
use constant ESIZE_V4 => (8 + 4 * M + CODE + 7) & ~7;
use constant ESIZE_V1 => (8 + 6 * M + CODE + 7) & ~7;

my $node = PostgreSQL::Test::Cluster->new('v1index',
	$ENV{BX_TEST_PORT} ? (port => $ENV{BX_TEST_PORT}) : ());
$node->init;
$node->start;

# 2,000 512-d rows in 10 lists, 8-bit codes; the exact top 5 of a few probes
$node->safe_psql('postgres', q{
CREATE EXTENSION bxexit;
CREATE FUNCTION emb(i int) RETURNS bxexit.face_embedding LANGUAGE sql IMMUTABLE AS $$
	SELECT (SELECT array_agg(sin(i * 0.37 + d * 1.1) + 0.3 * cos(i * d * 0.013) ORDER BY d)
			  FROM generate_series(1, 512) d)::bxexit.face_embedding
$$;
CREATE TABLE t (id int, v bxexit.face_embedding(512)) WITH (autovacuum_enabled = off);
INSERT INTO t SELECT i, emb(i) FROM generate_series(1, 2000) i;
CREATE INDEX t_v_idx ON t USING bxann (v bxexit.face_embedding_cosine_ops) WITH (lists = 10, bits = 8, m = 16);
CHECKPOINT;
});
is($node->safe_psql('postgres',
		q{SELECT format_version, tuned_probes > 0 FROM bxexit.bxann_index_info('t_v_idx')}),
	'4|t', 'built as version 4, tuned');

# top 5 of probes 7, 77, ... by a search that reads every list, and exactly
my $top = q{
SELECT string_agg(ids, ';' ORDER BY p) FROM (
  SELECT p, (SELECT string_agg(id::text, ',' ORDER BY d, id) FROM
			   (SELECT id, v OPERATOR(bxexit.<=>) emb(p) AS d FROM t
				 ORDER BY v OPERATOR(bxexit.<=>) emb(p) LIMIT 5) s) AS ids
	FROM generate_series(7, 1907, 100) p) q};
my $exact = $node->safe_psql('postgres', "SET enable_indexscan = off; $top");

my $path = $node->data_dir . '/'
  . $node->safe_psql('postgres', q{SELECT pg_relation_filepath('t_v_idx')});
$node->stop;

open(my $fh, '+<:raw', $path) or die "open $path: $!";
my $meta;
sysread($fh, $meta, BLCKSZ) == BLCKSZ or die "read $path: $!";
my ($pd_lower) = unpack('v', substr($meta, 12, 2));
my ($magic, $version) = unpack('V V', substr($meta, PAGE_HEADER, 8));
is(sprintf('%08x %d %d', $magic, $version, $pd_lower),
	sprintf('42584131 4 %d', PAGE_HEADER + META_V3),
	'the metapage is version 4 of the size this test knows')
  or BAIL_OUT('metapage layout changed: update META_V1/META_V3');
substr($meta, PAGE_HEADER + 4, 4) = pack('V', 1);
substr($meta, PAGE_HEADER + META_V1, META_V3 - META_V1) = "\0" x (META_V3 - META_V1);
substr($meta, 12, 2) = pack('v', PAGE_HEADER + META_V1);
sysseek($fh, 0, 0) or die;
syswrite($fh, $meta) == BLCKSZ or die "write $path: $!";

# every element page: 6-byte edges, the items laid out again
my $perpage = int((SPECIAL - PAGE_HEADER) / (ESIZE_V4 + 4));
is($perpage, int((SPECIAL - PAGE_HEADER) / (ESIZE_V1 + 4)),
	"$perpage elements a page in both layouts")
  or BAIL_OUT('the layouts hold different counts: choose other dimensions');
my $blocks = (-s $path) / BLCKSZ;
my $pages = 0;
for my $blk (1 .. $blocks - 1)
{
	my $page;
	sysseek($fh, $blk * BLCKSZ, 0) or die;
	sysread($fh, $page, BLCKSZ) == BLCKSZ or die "read $path: $!";
	next unless unpack('v', substr($page, SPECIAL + 4, 2)) == ELEMENT_PAGE;
	my $n = (unpack('v', substr($page, 12, 2)) - PAGE_HEADER) / 4;
	my $out = substr($page, 0, PAGE_HEADER) . ("\0" x (SPECIAL - PAGE_HEADER)) . substr($page, SPECIAL);
	for my $i (0 .. $n - 1)
	{
		my $lp = unpack('V', substr($page, PAGE_HEADER + 4 * $i, 4));
		($lp >> 17) == ESIZE_V4 or BAIL_OUT("block $blk item $i is not a version-4 element");
		my $e = substr($page, $lp & 0x7FFF, ESIZE_V4);
		my $v1 = substr($e, 0, 8);
		my $nn = unpack('C', substr($e, 7, 1));
		for my $k (0 .. M - 1)
		{
			if ($k >= $nn) { $v1 .= "\0" x 6; next; }
			my $num = unpack('V', substr($e, 8 + 4 * $k, 4));
			my ($b, $o) = (int($num / $perpage), $num % $perpage + 1);
			$v1 .= pack('v v v', $b >> 16, $b & 0xFFFF, $o);
		}
		$v1 .= substr($e, 8 + 4 * M, CODE);
		$v1 .= "\0" x (ESIZE_V1 - length($v1));
		my $at = SPECIAL - ($i + 1) * ESIZE_V1;
		substr($out, $at, ESIZE_V1) = $v1;
		substr($out, PAGE_HEADER + 4 * $i, 4) = pack('V', $at | (1 << 15) | (ESIZE_V1 << 17));
	}
	substr($out, 14, 2) = pack('v', SPECIAL - $n * ESIZE_V1);	# pd_upper
	sysseek($fh, $blk * BLCKSZ, 0) or die;
	syswrite($fh, $out) == BLCKSZ or die "write $path: $!";
	$pages++;
}
close $fh;
ok($pages > 10, "$pages element pages rewritten with 6-byte edges");
$node->start;

is($node->safe_psql('postgres', q{
SELECT format_version, lists, probes, ef_search, tuned_probes, tuned_ef_search, tuned_found, code_bits
  FROM bxexit.bxann_index_info('t_v_idx')}),
	'1|10|8|12||||8', 'read as version 1: no tuning (NULL), 0.1.0\'s fixed rule (8 probes, ef_search 12), 8-bit codes');
is($node->safe_psql('postgres',
		q{SELECT live_elements, heap_tuples FROM bxexit.bxann_check('t_v_idx')}),
	'2000|2000', 'bxann_check reads it clean');

my $plan = $node->safe_psql('postgres',
	q{SET enable_seqscan = off; EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) emb(7) LIMIT 5});
like($plan, qr/Index Scan using t_v_idx/, 'the planner uses it');
is($node->safe_psql('postgres',
		"SET enable_seqscan = off; SET bxann.probes = 10; SET bxann.rerank = 2000; $top"),
	$exact, 'a search of every list returns the exact top 5');
my $default = $node->safe_psql('postgres', "SET enable_seqscan = off; $top");
my @got = split /;/, $default;
my @want = split /;/, $exact;
my $same = grep { $got[$_] eq $want[$_] } 0 .. $#want;
cmp_ok($same, '>=', @want - 2, "at the fixed rule the top 5 is exact for $same of " . scalar(@want) . ' probes');

# writes go on: an insert is found, a vacuum removes deleted rows
$node->safe_psql('postgres', q{
INSERT INTO t SELECT i, emb(i) FROM generate_series(2001, 2200) i;
DELETE FROM t WHERE id % 10 = 0;
VACUUM t;
});
is($node->safe_psql('postgres', q{
SET enable_seqscan = off;
SELECT id FROM t ORDER BY v OPERATOR(bxexit.<=>) emb(2101) LIMIT 1}),
	'2101', 'a row inserted into the version-1 index is found');
is($node->safe_psql('postgres', q{
SELECT i.format_version, c.live_elements, c.heap_tuples
  FROM bxexit.bxann_index_info('t_v_idx') i, bxexit.bxann_check('t_v_idx') c}),
	'1|1980|1980', 'after inserts and VACUUM it is still version 1 and checks clean');

# REINDEX: version 4, tuned
$node->safe_psql('postgres', 'REINDEX INDEX t_v_idx');
is($node->safe_psql('postgres', q{
SELECT format_version, tuned_probes > 0, probes = tuned_probes FROM bxexit.bxann_index_info('t_v_idx')}),
	'4|t|t', 'REINDEX makes it version 4 with its own tuning');

$node->stop;
done_testing();
