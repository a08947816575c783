/*-------------------------------------------------------------------------
 *
 * bxannvacuum.c
 *	  VACUUM for bxann: mark the elements of dead rows deleted.
 *
 * A deleted element keeps its code and edges, so graph walks still pass
 * through it, but it is never returned, and an insert into its list reuses
 * its slot (bxanninsert.c).  Pages are never removed: a list keeps its run
 * of pages.  REINDEX rebuilds the graph and the lists from scratch.
 *
 * src/am/bxannvacuum.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "bxann.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"

/* Walk every element page; mark deleted what callback says is dead. */
IndexBulkDeleteResult *
bxannbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
				IndexBulkDeleteCallback callback, void *callback_state)
{
	Relation	index = info->index;
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	BufferAccessStrategy bas = info->strategy;

	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));

	for (BlockNumber blkno = BXANN_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;
		GenericXLogState *state;
		OffsetNumber maxoff;
		bool		changed = false;

		vacuum_delay_point();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, bas);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		if (PageIsNew(BufferGetPage(buf)) ||
			BxAnnPageGetOpaque(BufferGetPage(buf))->kind != BXANN_PAGE_ELEMENT)
		{
			UnlockReleaseBuffer(buf);
			continue;
		}
		state = GenericXLogStart(index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
		maxoff = PageGetMaxOffsetNumber(page);
		for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
		{
			BxAnnElement e = (BxAnnElement) PageGetItem(page, PageGetItemId(page, off));

			if (e->flags & BXANN_ELEMENT_DELETED)
				continue;
			if (callback(&e->heaptid, callback_state))
			{
				e->flags |= BXANN_ELEMENT_DELETED;
				ItemPointerSetInvalid(&e->heaptid);
				stats->tuples_removed++;
				changed = true;
			}
			else
				stats->num_index_tuples++;
		}
		if (changed)
			BxAnnCommitBuffer(buf, state);
		else
		{
			GenericXLogAbort(state);
			UnlockReleaseBuffer(buf);
		}
	}
	stats->num_pages = nblocks;
	return stats;
}

/* Counts for the statistics; a full pass only if bulkdelete did not run. */
IndexBulkDeleteResult *
bxannvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	Relation	index = info->index;
	BlockNumber nblocks;

	if (info->analyze_only)
		return stats;
	if (stats != NULL)
		return stats;

	stats = palloc0(sizeof(IndexBulkDeleteResult));
	nblocks = RelationGetNumberOfBlocks(index);
	for (BlockNumber blkno = BXANN_METAPAGE_BLKNO + 1; blkno < nblocks; blkno++)
	{
		Buffer		buf;
		Page		page;

		vacuum_delay_point();
		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, info->strategy);
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		if (!PageIsNew(page) && BxAnnPageGetOpaque(page)->kind == BXANN_PAGE_ELEMENT)
		{
			OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

			for (OffsetNumber off = FirstOffsetNumber; off <= maxoff; off++)
			{
				BxAnnElement e = (BxAnnElement) PageGetItem(page, PageGetItemId(page, off));

				if (!(e->flags & BXANN_ELEMENT_DELETED))
					stats->num_index_tuples++;
			}
		}
		UnlockReleaseBuffer(buf);
	}
	stats->num_pages = nblocks;
	return stats;
}
