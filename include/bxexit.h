/*-------------------------------------------------------------------------
 *
 * bxexit.h
 *	  Declarations shared by every part of the bxexit extension.
 *
 * include/bxexit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef BXEXIT_H
#define BXEXIT_H

#include "postgres.h"

#include "bx_guc.h"

#if PG_VERSION_NUM < 150000
#error "bxexit requires PostgreSQL 15 or later"
#endif

#define BXEXIT_VERSION "0.2.0"

/* interrupt callback for the libraries under lib/ (a BxInterruptFn) */
extern int	BxInterruptPending(void *arg);


#endif							/* BXEXIT_H */
