/*-------------------------------------------------------------------------
 *
 * durable.c
 *	  Rows that survive the caller's rollback: bx_durable_insert() hands a
 *	  row to a background worker, which inserts and commits it in its own
 *	  transaction before the caller goes on.
 *
 * Why: the audit record of a search must exist whatever the caller does
 * after reading the answer (ROLLBACK, ROLLBACK TO SAVEPOINT, raising an
 * exception).  PostgreSQL has no autonomous transactions, so another
 * process writes the row.  Each backend that needs one gets a dynamic
 * background worker of its own (no shared_preload_libraries needed),
 * connected to the same database as the role that called, talking over
 * two shm_mq queues in a DSM segment.  The caller waits until the worker
 * has committed; when the worker cannot be started or the insert fails,
 * the caller gets an ERROR and so no answer (fail closed).  The rows are
 * ordinary table rows: WAL-logged, replicated, dumped.
 *
 * The worker exits when its backend goes away (the queues detach) or after
 * bxexit.audit_writer_idle_timeout without work, which frees its
 * max_worker_processes slot.  An idle exit races with a new request, so the
 * worker first raises the exiting flag, then takes whatever request is
 * already complete in the queue, answers it, and only then leaves: a
 * caller that finds the worker gone with the flag raised and no answer
 * knows its request was never taken, and sends it again to a new worker.
 * A worker gone without the flag (killed, crashed) may or may not have
 * committed: the caller gets an ERROR.
 *
 * A request is the target table's OID followed by the row as jsonb text;
 * the worker inserts the columns named by the row's keys (the others get
 * their defaults) through jsonb_populate_record, with the privileges of the
 * role that called.  A reply is 'K', or 'E', the SQLSTATE and the message.
 *
 * src/records/durable.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "bxexit.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "storage/dsm.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#define DURABLE_MAGIC		0x42584455	/* "BXDU" */
#define DURABLE_QUEUE_SIZE	(64 * 1024)
#define DURABLE_MAX_ROW		(32 * 1024) /* bytes of row text, well inside a queue */

/* Head of the DSM segment; the two queues follow it */
typedef struct DurableShared
{
	uint32		magic;
	Oid			database;
	Oid			role;
	int			idleSeconds;
	pg_atomic_uint32 exiting;	/* the worker takes no request after this */
} DurableShared;

#define DURABLE_HEAD_SIZE	MAXALIGN(sizeof(DurableShared))
#define DURABLE_SEGMENT_SIZE (DURABLE_HEAD_SIZE + 2 * DURABLE_QUEUE_SIZE)
#define RequestQueue(sh)	((shm_mq *) ((char *) (sh) + DURABLE_HEAD_SIZE))
#define ReplyQueue(sh)		((shm_mq *) ((char *) (sh) + DURABLE_HEAD_SIZE + DURABLE_QUEUE_SIZE))

PGDLLEXPORT void BxDurableWorkerMain(Datum arg);

/* The calling backend's worker, for the life of the session */
static dsm_segment *durableSeg = NULL;
static shm_mq_handle *durableOut = NULL;
static shm_mq_handle *durableIn = NULL;
static BackgroundWorkerHandle *durableWorker = NULL;
static Oid	durableRole = InvalidOid;
static bool durableBroken = false;

/* What happened to one request */
typedef enum DurableOutcome
{
	DURABLE_DONE,				/* a reply arrived (success or error) */
	DURABLE_NOT_TAKEN,			/* the worker left idle before taking it */
	DURABLE_LOST				/* the worker died: committed or not, unknown */
} DurableOutcome;

/* Stop the worker and forget the segment; the next request starts afresh. */
static void
DurableReset(void)
{
	if (durableOut != NULL)
		shm_mq_detach(durableOut);
	if (durableIn != NULL)
		shm_mq_detach(durableIn);
	durableOut = durableIn = NULL;
	if (durableWorker != NULL)
	{
		TerminateBackgroundWorker(durableWorker);
		pfree(durableWorker);
		durableWorker = NULL;
	}
	if (durableSeg != NULL)
		dsm_detach(durableSeg);
	durableSeg = NULL;
	durableRole = InvalidOid;
	durableBroken = false;
}

/* Make sure this backend has a running worker for the current role. */
static void
DurableStart(void)
{
	BackgroundWorker worker;
	DurableShared *sh;
	shm_mq	   *mq;
	MemoryContext old;
	pid_t		pid;

	if (durableSeg != NULL &&
		(durableBroken || durableRole != GetUserId() ||
		 GetBackgroundWorkerPid(durableWorker, &pid) != BGWH_STARTED))
		DurableReset();
	if (durableSeg != NULL)
		return;

	old = MemoryContextSwitchTo(TopMemoryContext);
	durableSeg = dsm_create(DURABLE_SEGMENT_SIZE, 0);
	/* the segment lives as long as the session, not the transaction */
	dsm_pin_mapping(durableSeg);
	sh = dsm_segment_address(durableSeg);
	sh->magic = DURABLE_MAGIC;
	sh->database = MyDatabaseId;
	sh->role = GetUserId();
	sh->idleSeconds = bx_audit_writer_idle_timeout;
	pg_atomic_init_u32(&sh->exiting, 0);
	mq = shm_mq_create(RequestQueue(sh), DURABLE_QUEUE_SIZE);
	shm_mq_set_sender(mq, MyProc);
	durableOut = shm_mq_attach(mq, durableSeg, NULL);
	mq = shm_mq_create(ReplyQueue(sh), DURABLE_QUEUE_SIZE);
	shm_mq_set_receiver(mq, MyProc);
	durableIn = shm_mq_attach(mq, durableSeg, NULL);

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "bxexit");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "BxDurableWorkerMain");
	snprintf(worker.bgw_name, BGW_MAXLEN, "bxexit audit writer for PID %d", MyProcPid);
	snprintf(worker.bgw_type, BGW_MAXLEN, "bxexit audit writer");
	worker.bgw_main_arg = UInt32GetDatum(dsm_segment_handle(durableSeg));
	worker.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&worker, &durableWorker))
	{
		MemoryContextSwitchTo(old);
		durableWorker = NULL;
		DurableReset();
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("could not start the bxexit audit writer"),
				 errdetail("Searches write their audit records through a background worker of the session, and every max_worker_processes slot is taken."),
				 errhint("Raise max_worker_processes above the number of sessions that search at once.")));
	}
	MemoryContextSwitchTo(old);
	if (WaitForBackgroundWorkerStartup(durableWorker, &pid) != BGWH_STARTED)
	{
		DurableReset();
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_RESOURCES),
				 errmsg("the bxexit audit writer did not start")));
	}
	/* a worker that dies now shows as a detached queue, not a hang */
	shm_mq_set_handle(durableOut, durableWorker);
	shm_mq_set_handle(durableIn, durableWorker);
	durableRole = GetUserId();
}

/* Send one request and wait for its reply. */
static DurableOutcome
DurableExchange(const char *msg, Size len, char **reply, Size *replylen)
{
	DurableShared *sh = dsm_segment_address(durableSeg);
	shm_mq_result res;
	void	   *data = NULL;

	res = shm_mq_send(durableOut, len, msg, false, true);
	if (res == SHM_MQ_SUCCESS)
		res = shm_mq_receive(durableIn, replylen, &data, false);
	if (res == SHM_MQ_SUCCESS)
	{
		*reply = data;
		return DURABLE_DONE;
	}
	/* the worker is gone; did it leave idle before taking the request? */
	pg_memory_barrier();
	durableBroken = true;
	return pg_atomic_read_u32(&sh->exiting) != 0 ? DURABLE_NOT_TAKEN : DURABLE_LOST;
}

/*
 * bx_durable_insert(target regclass, row jsonb): insert row into target and
 * commit it in the session's audit writer, before returning.  The caller's
 * rollback does not undo it.  Not granted to PUBLIC: the SECURITY DEFINER
 * audit helper calls it.
 */
PG_FUNCTION_INFO_V1(bx_durable_insert);
Datum
bx_durable_insert(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Jsonb	   *row = PG_GETARG_JSONB_P(1);
	char	   *text = JsonbToCString(NULL, &row->root, VARSIZE(row));
	Size		textlen = strlen(text);
	Size		len = sizeof(Oid) + textlen;
	char	   *msg;
	char	   *reply = NULL;
	Size		replylen = 0;
	DurableOutcome outcome = DURABLE_LOST;
	AclResult	aclresult;

	if (!JB_ROOT_IS_OBJECT(row))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a durable row must be a JSON object")));
	if (textlen > DURABLE_MAX_ROW)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("durable row of %zu bytes exceeds the limit of %d bytes",
						textlen, DURABLE_MAX_ROW)));
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_TABLE, get_rel_name(relid));
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot write an audit record during recovery")));

	msg = palloc(len);
	memcpy(msg, &relid, sizeof(Oid));
	memcpy(msg + sizeof(Oid), text, textlen);

	/* a second try only when the first worker certainly did not take it */
	for (int attempt = 0; attempt < 2; attempt++)
	{
		DurableStart();
		PG_TRY();
		{
			outcome = DurableExchange(msg, len, &reply, &replylen);
		}
		PG_CATCH();
		{
			/* cancelled mid-exchange: the queues may hold half of it */
			durableBroken = true;
			PG_RE_THROW();
		}
		PG_END_TRY();
		if (outcome != DURABLE_NOT_TAKEN)
			break;
	}
	if (outcome != DURABLE_DONE)
		ereport(ERROR,
				(errcode(ERRCODE_CONNECTION_FAILURE),
				 errmsg("the bxexit audit writer exited before confirming the record"),
				 errdetail("The audit record may or may not have been written; the search's answer is withheld.")));
	if (replylen >= 6 && reply[0] == 'E')
	{
		char		state[6];

		memcpy(state, reply + 1, 5);
		state[5] = '\0';
		ereport(ERROR,
				(errcode(MAKE_SQLSTATE(state[0], state[1], state[2], state[3], state[4])),
				 errmsg("audit record not written: %.*s", (int) (replylen - 6), reply + 6)));
	}
	if (replylen != 1 || reply[0] != 'K')
		elog(ERROR, "bxexit audit writer sent a malformed reply");
	PG_RETURN_VOID();
}

/*
 * In the worker: insert one row and commit.  Returns the reply, allocated
 * in ctx.
 */
static char *
DurableInsert(const char *msg, Size len, MemoryContext ctx, Size *replylen)
{
	Oid			relid;
	char	   *rowtext;
	char	   *reply;

	MemoryContextSwitchTo(ctx);
	if (len < sizeof(Oid))
		elog(ERROR, "bxexit audit writer got a malformed request");
	memcpy(&relid, msg, sizeof(Oid));
	rowtext = pnstrdup(msg + sizeof(Oid), len - sizeof(Oid));

	PG_TRY();
	{
		Oid			argtypes[2] = {OIDOID, TEXTOID};
		Datum		values[2];
		char	   *sql;
		bool		isnull;

		values[0] = ObjectIdGetDatum(relid);
		values[1] = CStringGetTextDatum(rowtext);
		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		if (SPI_connect() != SPI_OK_CONNECT)
			elog(ERROR, "SPI_connect failed");
		PushActiveSnapshot(GetTransactionSnapshot());
		pgstat_report_activity(STATE_RUNNING, "bxexit audit writer: insert");

		/* the columns the row names; any other key is an error below */
		if (SPI_execute_with_args(
								  "SELECT pg_catalog.format("
								  "'INSERT INTO %s (%s) SELECT %s FROM pg_catalog.jsonb_populate_record(NULL::%s, $2::pg_catalog.jsonb)', "
								  "$1::pg_catalog.regclass, c.cols, c.cols, $1::pg_catalog.regclass), "
								  "c.n = (SELECT pg_catalog.count(*) FROM pg_catalog.jsonb_object_keys($2::pg_catalog.jsonb)) "
								  "FROM (SELECT pg_catalog.string_agg(pg_catalog.quote_ident(a.attname), ', ' ORDER BY a.attnum) AS cols, "
								  "pg_catalog.count(*) AS n "
								  "FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 "
								  "AND NOT a.attisdropped AND a.attname::pg_catalog.text IN "
								  "(SELECT pg_catalog.jsonb_object_keys($2::pg_catalog.jsonb))) c",
								  2, argtypes, values, NULL, true, 1) != SPI_OK_SELECT ||
			SPI_processed != 1)
			elog(ERROR, "bxexit audit writer could not read the columns of relation %u", relid);
		sql = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		if (sql == NULL ||
			!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull)) ||
			isnull)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("the row names a column that relation \"%s\" does not have",
							get_rel_name(relid))));
		if (SPI_execute_with_args(sql, 2, argtypes, values, NULL, false, 0) != SPI_OK_INSERT ||
			SPI_processed != 1)
			elog(ERROR, "bxexit audit writer: the insert did not insert one row");
		SPI_finish();
		PopActiveSnapshot();
		CommitTransactionCommand();
		MemoryContextSwitchTo(ctx);
		pgstat_report_activity(STATE_IDLE, NULL);
		reply = MemoryContextAlloc(ctx, 1);
		reply[0] = 'K';
		*replylen = 1;
	}
	PG_CATCH();
	{
		ErrorData  *e;
		const char *state;
		Size		mlen;

		MemoryContextSwitchTo(ctx);
		e = CopyErrorData();
		FlushErrorState();
		AbortCurrentTransaction();
		MemoryContextSwitchTo(ctx);
		pgstat_report_activity(STATE_IDLE, NULL);
		state = unpack_sql_state(e->sqlerrcode);
		mlen = strlen(e->message);
		reply = MemoryContextAlloc(ctx, 6 + mlen);
		reply[0] = 'E';
		memcpy(reply + 1, state, 5);
		memcpy(reply + 6, e->message, mlen);
		*replylen = 6 + mlen;
	}
	PG_END_TRY();
	return reply;
}

/* Main of the audit writer: one request at a time until detached or idle. */
void
BxDurableWorkerMain(Datum arg)
{
	dsm_segment *seg;
	DurableShared *sh;
	shm_mq_handle *in;
	shm_mq_handle *out;
	MemoryContext ctx;
	bool		leaving = false;

	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	CurrentResourceOwner = ResourceOwnerCreate(NULL, "bxexit audit writer");
	seg = dsm_attach(DatumGetUInt32(arg));
	if (seg == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bxexit audit writer: the session's segment is gone")));
	sh = dsm_segment_address(seg);
	if (sh->magic != DURABLE_MAGIC)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("bxexit audit writer: bad segment")));
	shm_mq_set_receiver(RequestQueue(sh), MyProc);
	shm_mq_set_sender(ReplyQueue(sh), MyProc);
	in = shm_mq_attach(RequestQueue(sh), seg, NULL);
	out = shm_mq_attach(ReplyQueue(sh), seg, NULL);
	BackgroundWorkerInitializeConnectionByOid(sh->database, sh->role, 0);
	ctx = AllocSetContextCreate(TopMemoryContext, "bxexit audit writer",
								ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		Size		len;
		void	   *data;
		shm_mq_result res;

		res = shm_mq_receive(in, &len, &data, true);
		if (res == SHM_MQ_DETACHED)
			break;
		if (res == SHM_MQ_WOULD_BLOCK)
		{
			int			rc;

			if (leaving)
				break;			/* nothing complete came in after the flag */
			rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						   (long) sh->idleSeconds * 1000L, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			if (rc & WL_TIMEOUT)
			{
				/* raise the flag, then answer what is already complete */
				pg_atomic_write_u32(&sh->exiting, 1);
				pg_memory_barrier();
				leaving = true;
			}
			continue;
		}
		{
			char	   *request = MemoryContextAlloc(ctx, Max(len, 1));
			char	   *reply;
			Size		replylen;

			/* the queue's buffer is only valid until the next receive */
			memcpy(request, data, len);
			reply = DurableInsert(request, len, ctx, &replylen);
			res = shm_mq_send(out, replylen, reply, false, true);
			MemoryContextReset(ctx);
			if (res != SHM_MQ_SUCCESS)
				break;
		}
	}
	proc_exit(0);
}
