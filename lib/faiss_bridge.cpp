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

#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <new>

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

/* Installs the stop callback and thread count for one call, undoes both. */
class CallScope
{
  public:
	CallScope(BxInterruptFn stop, int nthreads)
	{
		faiss::InterruptCallback::instance.reset(new StopCallback(stop));
		int n = nthreads < 1 ? 1 : nthreads;
		/*
		 * The threads go to BLAS, whose matrix products are most of a
		 * build; OpenMP (FAISS's loops around them) stays at one: its idle
		 * threads spin and took the cores from BLAS's (a 200,000-row build
		 * with both at 2 threads was slower than with one).
		 */
		omp_set_num_threads(1);
		openblas_set_num_threads(n);
	}
	~CallScope()
	{
		faiss::InterruptCallback::clear_instance();
		openblas_set_num_threads(1);
	}
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
