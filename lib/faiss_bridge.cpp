/*-------------------------------------------------------------------------
 *
 * faiss_bridge.cpp
 *	  extern "C" noexcept wrappers around the FAISS C++ API.
 *
 * Debian's libfaiss-dev ships a static C++ library without the C API, so
 * bxexit wraps the few calls it needs here.  Rules of this file (see
 * lib/bx_bridge.h): no PostgreSQL headers; every entry point catches
 * every exception; its only extra threads are its own (RunJob), blocking
 * every signal and joined before the call returns, each running
 * single-threaded BLAS and OpenMP.
 *
 * lib/faiss_bridge.cpp
 *
 *-------------------------------------------------------------------------
 */
#ifdef POSTGRES_H
#error "faiss_bridge.cpp must not include PostgreSQL headers"
#endif

#include "bx_bridge.h"
#include "bx_knn.h"

#include <atomic>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>

#include <pthread.h>

#include <faiss/Clustering.h>
#include <faiss/IndexFlat.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <omp.h>

extern "C" void openblas_set_num_threads(int num_threads);

namespace
{

/* Polls the C caller's stop function for FAISS's interrupt checks. */
class StopCallback : public faiss::InterruptCallback
{
  public:
	explicit StopCallback(BxInterruptFn fn) : fn_(fn) {}
	bool want_interrupt() override { return fn_ != nullptr && fn_(nullptr) != 0; }

  private:
	BxInterruptFn fn_;
};

/*
 * Installs the stop callback for one call and removes it; makes sure
 * OpenMP and OpenBLAS run on the calling thread only.  The bridge's
 * parallelism is its own threads (RunJob), each running single-threaded
 * BLAS on a share of the work: BLAS's own threads, inside products of a
 * few hundred rows, spent much of them starting and waiting (a 200,000-row
 * 512-d build: 1.3x from a second core), and OpenBLAS keeps its pool
 * alive after the call, which a backend should not.
 */
class CallScope
{
  public:
	explicit CallScope(BxInterruptFn stop)
	{
		faiss::InterruptCallback::instance.reset(new StopCallback(stop));
		omp_set_num_threads(1);
		openblas_set_num_threads(1);
	}
	~CallScope() { faiss::InterruptCallback::clear_instance(); }
};

void
SetError(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf != nullptr && errlen > 0)
		std::snprintf(errbuf, errlen, "%s", msg);
}

/*
 * What the bridge throws itself, caught by Guard like FAISS's exceptions.
 * Not FaissException: its std::string would be a std template instantiated
 * here, exported from bxexit.so (test/check_module.sh).
 */
class BridgeError : public std::exception
{
  public:
	explicit BridgeError(const char *msg) { SetError(msg_, sizeof(msg_), msg); }
	const char *what() const noexcept override { return msg_; }

  private:
	char		msg_[BX_ERRBUF_SIZE];
};

/*
 * Run body, mapping exceptions to statuses.  FAISS reports an interrupt
 * as a FaissException whose text mentions it; the stop callback tells us
 * for sure, so ask it again rather than parse the message.
 */
template <typename Body>
BxStatus
Guard(BxInterruptFn stop, char *errbuf, size_t errlen, Body body) noexcept
{
	try
	{
		body();
		return BX_OK;
	}
	catch (const std::bad_alloc &)
	{
		SetError(errbuf, errlen, "out of memory in FAISS");
		return BX_ENOMEM;
	}
	catch (const std::exception &e)
	{
		if (stop != nullptr && stop(nullptr) != 0)
		{
			SetError(errbuf, errlen, "interrupted");
			return BX_EINTERRUPTED;
		}
		SetError(errbuf, errlen, e.what());
		return BX_EINTERNAL;
	}
	catch (...)
	{
		SetError(errbuf, errlen, "unknown C++ exception in FAISS");
		return BX_EINTERNAL;
	}
}

/*
 * A thread's own buffers, reused from one item to the next.  Plain arrays,
 * not std::vector: a std template instantiated here would be exported from
 * bxexit.so (test/check_module.sh).
 */
template <typename T>
struct Buffer
{
	std::unique_ptr<T[]> data;
	size_t		size = 0;

	T		   *Get(size_t n)
	{
		if (n > size)
		{
			data.reset(new T[n]);
			size = n;
		}
		return data.get();
	}
};

struct WorkerBuffers
{
	Buffer<float> queries;
	Buffer<float> base;
	Buffer<float> prepared;		/* a BxKnnBase's norms and panels */
	Buffer<float> scratch;
	Buffer<float> dist;
	Buffer<int32_t> labels;
};

/*
 * Items 0 .. n-1 of one parallel call, taken in turn by its threads: item
 * runs one, and may throw (each item has its own Guard).
 */
struct Job
{
	typedef void (*ItemFn) (void *ctx, int i, WorkerBuffers &buf);

	Job(int n_, ItemFn item_, void *ctx_, BxInterruptFn stop_)
		: n(n_), item(item_), ctx(ctx_), stop(stop_) {}

	int			n;
	ItemFn		item;
	void	   *ctx;
	BxInterruptFn stop;
	std::atomic<int> next{0};
	std::atomic<bool> failed{false};
	std::mutex	lock;			/* guards status and message */
	BxStatus	status = BX_OK;
	char		message[BX_ERRBUF_SIZE] = "";

	/* keep the first failure; every thread stops at its next item */
	void Fail(BxStatus st, const char *msg)
	{
		std::lock_guard<std::mutex> hold(lock);

		if (status == BX_OK)
		{
			status = st;
			SetError(message, sizeof(message), msg);
		}
		failed = true;
	}
};

/* A thread's loop: take the next item until none is left or one failed. */
void
JobWorker(Job *job) noexcept
{
	WorkerBuffers buf;
	char		errbuf[BX_ERRBUF_SIZE];

	/* OpenMP's thread count is per thread: FAISS's loops stay on this one */
	omp_set_num_threads(1);
	while (!job->failed)
	{
		int			i;
		BxStatus	st;

		if (job->stop != nullptr && job->stop(nullptr) != 0)
		{
			job->Fail(BX_EINTERRUPTED, "interrupted");
			return;
		}
		i = job->next.fetch_add(1);
		if (i >= job->n)
			return;
		st = Guard(job->stop, errbuf, sizeof(errbuf), [&]() {
			job->item(job->ctx, i, buf);
		});
		if (st != BX_OK)
		{
			job->Fail(st, errbuf);
			return;
		}
	}
}

/* pthread start routine of the extra threads */
extern "C" void *
JobThread(void *arg)
{
	JobWorker(static_cast<Job *>(arg));
	return nullptr;
}

/*
 * Run job on up to nthreads threads, the calling one among them; the extra
 * ones block every signal (a process-directed signal must reach the
 * backend's own thread, where PostgreSQL's handlers belong) and are joined
 * before returning.  Returns the first failure, its text in errbuf.
 */
BxStatus
RunJob(Job &job, int nthreads, char *errbuf, size_t errlen) noexcept
{
	pthread_t	threads[BX_MAX_BRIDGE_THREADS];
	int			started = 0;
	int			extra = (nthreads < job.n ? nthreads : job.n) - 1;
	sigset_t	all,
				old;

	if (extra > BX_MAX_BRIDGE_THREADS)
		extra = BX_MAX_BRIDGE_THREADS;
	if (extra > 0)
	{
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		/* fewer threads than asked if some cannot start: the rest do it */
		while (started < extra &&
			   pthread_create(&threads[started], nullptr, JobThread, &job) == 0)
			started++;
		pthread_sigmask(SIG_SETMASK, &old, nullptr);
	}
	JobWorker(&job);
	for (int i = 0; i < started; i++)
		pthread_join(threads[i], nullptr);
	if (job.status != BX_OK)
		SetError(errbuf, errlen, job.message);
	return job.status;
}

/*
 * Exact k-NN of nq queries among the rows of base (FAISS labels and squared
 * distances, nq * k each; lib/knn_block.c), the queries cut into chunks
 * shared out among nthreads threads.  The base is prepared once.
 */
struct SearchJob
{
	size_t		dim;
	const float *queries;
	int64_t		nq;
	const BxKnnBase *base;
	int			k;
	float	   *dist;
	int64_t    *ids;
};

/*
 * Queries an item searches: large enough for the product to run at speed.
 * A query's answer does not depend on the chunk it falls in
 * (lib/ip_panels.c sums every product in one order; with BLAS, each chunk
 * is one sgemm of the same shape but the last).
 */
constexpr int64_t SEARCH_CHUNK = 256;

void
SearchItem(void *ctx, int i, WorkerBuffers &buf)
{
	const SearchJob *s = static_cast<const SearchJob *>(ctx);
	int64_t		first = (int64_t) i * SEARCH_CHUNK;
	int64_t		count = s->nq - first < SEARCH_CHUNK ? s->nq - first : SEARCH_CHUNK;
	size_t		total = (size_t) count * (size_t) s->k;
	int32_t    *labels = buf.labels.Get(total);
	int64_t    *ids = s->ids + (size_t) first * s->k;

	BxKnnSearch(s->base, count, s->queries + (size_t) first * s->dim, s->k,
				buf.scratch.Get(BxKnnScratchFloats(s->base->nb)), labels,
				s->dist + (size_t) first * s->k);
	for (size_t t = 0; t < total; t++)
		ids[t] = labels[t];
}

/* BxKnnBasePrepare's parts as a job's items */
struct PrepareJob
{
	const BxKnnBase *base;
	int			parts;
};

void
PrepareItem(void *ctx, int i, WorkerBuffers &)
{
	const PrepareJob *p = static_cast<const PrepareJob *>(ctx);

	BxKnnBasePrepare(p->base, i, p->parts);
}

/*
 * Throws a BridgeError with the job's message when it failed.  The base is
 * prepared on the threads too: the tuning's exact pass packs all rows, a
 * chunk at a time, which on the calling thread alone kept the other idle.
 */
void
ParallelSearch(int dim, int64_t nq, const float *queries, int64_t nb, const float *base,
			   int64_t k, int nthreads, BxInterruptFn stop, float *dist, int64_t *ids)
{
	int			packed = BxKnnWorthPacking(nq);
	std::unique_ptr<float[]> storage(new float[BxKnnBaseFloats(dim, nb, packed)]);
	BxKnnBase	prepared;
	SearchJob	s;
	char		errbuf[BX_ERRBUF_SIZE];

	if (k > INT32_MAX || nb > INT32_MAX)
		throw BridgeError("too many neighbours or base vectors");
	BxKnnBaseLayout(&prepared, dim, nb, base, packed, storage.get());
	{
		PrepareJob	p = {&prepared, 4 * (nthreads > 0 ? nthreads : 1)};
		Job			prepare(p.parts, PrepareItem, &p, stop);

		if (RunJob(prepare, nthreads, errbuf, sizeof(errbuf)) != BX_OK)
			throw BridgeError(errbuf);
	}
	s.dim = (size_t) dim;
	s.queries = queries;
	s.nq = nq;
	s.base = &prepared;
	s.k = (int) k;
	s.dist = dist;
	s.ids = ids;
	Job			job((int) ((nq + SEARCH_CHUNK - 1) / SEARCH_CHUNK), SearchItem, &s, stop);

	if (RunJob(job, nthreads, errbuf, sizeof(errbuf)) != BX_OK)
		throw BridgeError(errbuf);
}

/*
 * The exact index k-means assigns with: FAISS's IndexFlatL2 whose search
 * is ParallelSearch, so that k-means uses the call's threads as the
 * bridge's other searches do.
 */
struct ParallelFlatL2 : faiss::IndexFlatL2
{
	int			nthreads;
	BxInterruptFn stop;

	ParallelFlatL2(int dim, int nthreads_, BxInterruptFn stop_)
		: faiss::IndexFlatL2(dim), nthreads(nthreads_), stop(stop_) {}

	void		search(idx_t n, const float *x, idx_t k, float *distances, idx_t *labels,
					   const faiss::SearchParameters *params = nullptr) const override
	{
		if (params != nullptr)
			throw BridgeError("search parameters are not supported here");
		if (n > 0 && ntotal > 0)
			ParallelSearch((int) d, n, x, ntotal, get_xb(), k, nthreads, stop,
						   distances, labels);
	}
};

/* BxParallelFor's item: the caller's function */
struct ForJob
{
	BxItemFn	fn;
	void	   *arg;
};

void
ForItem(void *ctx, int i, WorkerBuffers &)
{
	const ForJob *f = static_cast<const ForJob *>(ctx);

	f->fn(f->arg, i);
}

/* What the items of one BxNearestMany call share. */
struct ManyJob
{
	int			dim;
	const BxKnnTask *tasks;
	BxGatherFn	gather;
	void	   *gatherarg;
};

/* One problem: gather its vectors, search them (lib/knn_block.c). */
void
ManyItem(void *ctx, int i, WorkerBuffers &buf)
{
	const ManyJob *s = static_cast<const ManyJob *>(ctx);
	const BxKnnTask &t = s->tasks[i];
	size_t		dim = (size_t) s->dim;
	float	   *queries;
	float	   *base;
	int			packed;
	BxKnnBase	prepared;

	if (t.nq == 0)
		return;
	queries = buf.queries.Get((size_t) t.nq * dim);
	base = buf.base.Get((size_t) t.nb * dim);
	s->gather(s->gatherarg, t.qrows, t.nq, queries);
	s->gather(s->gatherarg, t.brows, t.nb, base);
	packed = BxKnnWorthPacking(t.nq);
	BxKnnBaseInit(&prepared, s->dim, t.nb, base, packed,
				  buf.prepared.Get(BxKnnBaseFloats(s->dim, t.nb, packed)));
	BxKnnSearch(&prepared, t.nq, queries, t.k, buf.scratch.Get(BxKnnScratchFloats(t.nb)),
				t.labels, t.distances != nullptr ? t.distances :
				buf.dist.Get((size_t) t.nq * (size_t) t.k));
}

}								/* namespace */

extern "C" BxStatus
BxKmeans(int dim, int64_t n, int k, const float *x, int niter, int seed,
		 int spherical, int nthreads, float *centroids, BxInterruptFn stop,
		 char *errbuf, size_t errlen) noexcept
{
	if (dim <= 0 || k <= 0 || n < k || niter <= 0 || x == nullptr || centroids == nullptr)
	{
		SetError(errbuf, errlen, "invalid k-means arguments");
		return BX_EINVAL;
	}
	return Guard(stop, errbuf, errlen, [&]() {
		CallScope	scope(stop);
		faiss::ClusteringParameters cp;

		cp.niter = niter;
		cp.seed = seed;
		cp.spherical = spherical != 0;
		cp.verbose = false;
		/* the caller already sampled: train on every vector it passed */
		cp.max_points_per_centroid = (int) ((n + k - 1) / k) + 1;
		cp.min_points_per_centroid = 1;

		faiss::Clustering clus(dim, k, cp);
		ParallelFlatL2 index(dim, nthreads, stop);

		clus.train(n, x, index);
		std::memcpy(centroids, clus.centroids.data(), sizeof(float) * (size_t) k * dim);
	});
}

extern "C" BxStatus
BxNearest(int dim, int64_t nq, const float *queries, int64_t nb, const float *base,
		  int k, int nthreads, int32_t *labels, float *distances, BxInterruptFn stop,
		  char *errbuf, size_t errlen) noexcept
{
	if (dim <= 0 || k <= 0 || nq < 0 || nb <= 0 || queries == nullptr ||
		base == nullptr || labels == nullptr)
	{
		SetError(errbuf, errlen, "invalid nearest-neighbour arguments");
		return BX_EINVAL;
	}
	if (nq == 0)
		return BX_OK;
	return Guard(stop, errbuf, errlen, [&]() {
		CallScope	scope(stop);
		size_t		total = (size_t) nq * (size_t) k;
		std::unique_ptr<float[]> dist(new float[total]);
		std::unique_ptr<int64_t[]> ids(new int64_t[total]);

		ParallelSearch(dim, nq, queries, nb, base, k, nthreads, stop, dist.get(), ids.get());
		if (stop != nullptr && stop(nullptr) != 0)
			throw BridgeError("interrupted");
		for (size_t i = 0; i < total; i++)
		{
			labels[i] = (int32_t) ids[i];
			if (distances != nullptr)
				distances[i] = dist[i];
		}
	});
}

extern "C" BxStatus
BxNearestMany(int dim, int ntasks, const BxKnnTask *tasks, BxGatherFn gather,
			  void *gatherarg, int nthreads, BxInterruptFn stop,
			  char *errbuf, size_t errlen) noexcept
{
	ManyJob		s;

	if (dim <= 0 || ntasks < 0 || (ntasks > 0 && (tasks == nullptr || gather == nullptr)))
	{
		SetError(errbuf, errlen, "invalid nearest-neighbour arguments");
		return BX_EINVAL;
	}
	for (int i = 0; i < ntasks; i++)
	{
		const BxKnnTask &t = tasks[i];

		if (t.k <= 0 || t.nq < 0 || t.nb <= 0 || (t.nq > 0 && t.qrows == nullptr) ||
			t.brows == nullptr || (t.nq > 0 && t.labels == nullptr))
		{
			SetError(errbuf, errlen, "invalid nearest-neighbour arguments");
			return BX_EINVAL;
		}
	}
	if (ntasks == 0)
		return BX_OK;
	s.dim = dim;
	s.tasks = tasks;
	s.gather = gather;
	s.gatherarg = gatherarg;
	{
		BxStatus	jobstatus = BX_OK;
		BxStatus	st = Guard(stop, errbuf, errlen, [&]() {
			CallScope	scope(stop);
			Job			job(ntasks, ManyItem, &s, stop);

			jobstatus = RunJob(job, nthreads, errbuf, errlen);
		});

		return st != BX_OK ? st : jobstatus;
	}
}

extern "C" BxStatus
BxParallelFor(int n, BxItemFn fn, void *arg, int nthreads, BxInterruptFn stop,
			  char *errbuf, size_t errlen) noexcept
{
	ForJob		f;

	if (n < 0 || (n > 0 && fn == nullptr))
	{
		SetError(errbuf, errlen, "invalid parallel loop arguments");
		return BX_EINVAL;
	}
	if (n == 0)
		return BX_OK;
	f.fn = fn;
	f.arg = arg;
	Job			job(n, ForItem, &f, stop);

	return RunJob(job, nthreads, errbuf, errlen);
}
