/*-------------------------------------------------------------------------
 *
 * faiss_bridge.cpp
 *	  extern "C" noexcept wrappers around the FAISS C++ API.
 *
 * Debian's libfaiss-dev ships a static C++ library without the C API, so
 * bxexit wraps the few calls it needs here.  Rules of this file (see
 * lib/bx_bridge.h): no PostgreSQL headers; every entry point catches
 * every exception; thread counts are set for the call and restored to one.
 *
 * lib/faiss_bridge.cpp
 *
 *-------------------------------------------------------------------------
 */
#ifdef POSTGRES_H
#error "faiss_bridge.cpp must not include PostgreSQL headers"
#endif

#include "bx_bridge.h"

#include <atomic>
#include <csignal>
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
#include <faiss/utils/distances.h>
#include <omp.h>

/* OpenBLAS's thread pool (pthread build: libopenblas0-pthread) */
extern "C" void openblas_set_num_threads(int num_threads);
extern "C" int openblas_get_num_threads(void);
extern "C" int blas_thread_init(void);
extern "C" int blas_thread_shutdown_(void);

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
 * Installs the stop callback and thread count for one call, undoes both.
 * OpenBLAS keeps the threads of its pool until told to shut it down: with
 * more than one thread, the pool is started here with every signal blocked
 * (a process-directed signal must reach the backend's own thread, where
 * PostgreSQL's handlers belong) and shut down on the way out, so the
 * backend is one thread again between calls.
 */
class CallScope
{
  public:
	CallScope(BxInterruptFn stop, int nthreads)
	{
		faiss::InterruptCallback::instance.reset(new StopCallback(stop));
		n_ = nthreads < 1 ? 1 : nthreads;
		/*
		 * The threads go to BLAS, whose matrix products are most of a
		 * build; OpenMP (FAISS's loops around them) stays at one: its idle
		 * threads spin and took the cores from BLAS's (a 200,000-row build
		 * with both at 2 threads was slower than with one).
		 */
		omp_set_num_threads(1);
		if (n_ > 1)
		{
			sigset_t	all,
						old;

			sigfillset(&all);
			pthread_sigmask(SIG_BLOCK, &all, &old);
			openblas_set_num_threads(n_);
			blas_thread_init();
			pthread_sigmask(SIG_SETMASK, &old, nullptr);
		}
		else if (openblas_get_num_threads() != 1)
		{
			/* not when already one: after a shutdown that starts the pool again */
			openblas_set_num_threads(1);
		}
	}
	~CallScope()
	{
		faiss::InterruptCallback::clear_instance();
		if (n_ > 1)
		{
			openblas_set_num_threads(1);
			blas_thread_shutdown_();
		}
	}

  private:
	int			n_;
};

void
SetError(char *errbuf, size_t errlen, const char *msg)
{
	if (errbuf != nullptr && errlen > 0)
		std::snprintf(errbuf, errlen, "%s", msg);
}

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

/* What the threads of one BxNearestMany call share. */
struct ManyState
{
	int			dim;
	int			ntasks;
	const BxKnnTask *tasks;
	BxGatherFn	gather;
	void	   *gatherarg;
	BxInterruptFn stop;
	std::atomic<int> next{0};
	std::atomic<bool> failed{false};
	std::mutex	lock;			/* guards status and message */
	BxStatus	status = BX_OK;
	char		message[BX_ERRBUF_SIZE] = "";

	/* keep the first failure; every thread stops at its next problem */
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

/*
 * A thread's own buffers, reused from one problem to the next.  Plain
 * arrays, not std::vector: a template instantiated here would be exported
 * from bxexit.so (test/check_module.sh).
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

struct ManyBuffers
{
	Buffer<float> queries;
	Buffer<float> base;
	Buffer<int64_t> ids;
	Buffer<float> dist;
};

/* One problem: gather its vectors, search, narrow FAISS's int64 labels. */
void
RunKnnTask(const ManyState &s, const BxKnnTask &t, ManyBuffers &buf)
{
	size_t		dim = (size_t) s.dim;
	size_t		total = (size_t) t.nq * (size_t) t.k;

	float	   *queries;
	float	   *base;
	int64_t    *ids;
	float	   *dist;

	if (t.nq == 0)
		return;
	queries = buf.queries.Get((size_t) t.nq * dim);
	base = buf.base.Get((size_t) t.nb * dim);
	ids = buf.ids.Get(total);
	dist = buf.dist.Get(total);
	s.gather(s.gatherarg, t.qrows, t.nq, queries);
	s.gather(s.gatherarg, t.brows, t.nb, base);
	faiss::knn_L2sqr(queries, base, dim, (size_t) t.nq, (size_t) t.nb, (size_t) t.k,
					 dist, ids);
	for (size_t i = 0; i < total; i++)
	{
		t.labels[i] = (int32_t) ids[i];
		if (t.distances != nullptr)
			t.distances[i] = dist[i];
	}
}

/* A thread's loop: take the next problem until none is left or one failed. */
void
ManyWorker(ManyState *s) noexcept
{
	ManyBuffers buf;
	char		errbuf[BX_ERRBUF_SIZE];

	/* OpenMP's thread count is per thread: FAISS's loops stay on this one */
	omp_set_num_threads(1);
	while (!s->failed)
	{
		int			i;
		BxStatus	st;

		if (s->stop != nullptr && s->stop(nullptr) != 0)
		{
			s->Fail(BX_EINTERRUPTED, "interrupted");
			return;
		}
		i = s->next.fetch_add(1);
		if (i >= s->ntasks)
			return;
		st = Guard(s->stop, errbuf, sizeof(errbuf), [&]() {
			RunKnnTask(*s, s->tasks[i], buf);
		});
		if (st != BX_OK)
		{
			s->Fail(st, errbuf);
			return;
		}
	}
}

/* pthread start routine of the extra threads */
extern "C" void *
ManyThread(void *arg)
{
	ManyWorker(static_cast<ManyState *>(arg));
	return nullptr;
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
		CallScope scope(stop, nthreads);
		faiss::ClusteringParameters cp;

		cp.niter = niter;
		cp.seed = seed;
		cp.spherical = spherical != 0;
		cp.verbose = false;
		/* the caller already sampled: train on every vector it passed */
		cp.max_points_per_centroid = (int) ((n + k - 1) / k) + 1;
		cp.min_points_per_centroid = 1;

		faiss::Clustering clus(dim, k, cp);
		faiss::IndexFlatL2 index(dim);

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
		CallScope scope(stop, nthreads);
		faiss::IndexFlatL2 index(dim);
		size_t		total = (size_t) nq * (size_t) k;
		std::unique_ptr<float[]> dist(new float[total]);
		std::unique_ptr<faiss::Index::idx_t[]> ids(new faiss::Index::idx_t[total]);

		index.add(nb, base);
		index.search(nq, queries, k, dist.get(), ids.get());
		if (stop != nullptr && stop(nullptr) != 0)
			throw faiss::FaissException("interrupted");
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
	ManyState	s;
	BxStatus	st;

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
	s.ntasks = ntasks;
	s.tasks = tasks;
	s.gather = gather;
	s.gatherarg = gatherarg;
	s.stop = stop;
	st = Guard(stop, errbuf, errlen, [&]() {
		CallScope	scope(stop, 1);
		pthread_t	threads[BX_MAX_BRIDGE_THREADS];
		int			started = 0;
		int			extra = (nthreads < ntasks ? nthreads : ntasks) - 1;
		sigset_t	all,
					old;

		if (extra > BX_MAX_BRIDGE_THREADS)
			extra = BX_MAX_BRIDGE_THREADS;

		/*
		 * A process-directed signal goes to any thread that does not block
		 * it, and PostgreSQL's handlers must run in the backend's own.
		 */
		sigfillset(&all);
		pthread_sigmask(SIG_BLOCK, &all, &old);
		/* fewer threads than asked if some cannot start: the rest do it */
		while (started < extra &&
			   pthread_create(&threads[started], nullptr, ManyThread, &s) == 0)
			started++;
		pthread_sigmask(SIG_SETMASK, &old, nullptr);
		ManyWorker(&s);
		for (int i = 0; i < started; i++)
			pthread_join(threads[i], nullptr);
	});
	if (st != BX_OK)
		return st;
	if (s.status != BX_OK)
		SetError(errbuf, errlen, s.message);
	return s.status;
}
