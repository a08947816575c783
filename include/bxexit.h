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

#if PG_VERSION_NUM < 150000
#error "bxexit requires PostgreSQL 15 or later"
#endif

#define BXEXIT_VERSION "0.2.0"

/* minutes probe photos of US citizens are kept (bxexit.citizen_photo_retention) */
extern int	bx_citizen_photo_retention;

/* interrupt callback for the libraries under lib/ (a BxInterruptFn) */
extern int	BxInterruptPending(void *arg);

/* module initialisation, called once from _PG_init() */
extern void BxGucInit(void);

#endif							/* BXEXIT_H */
