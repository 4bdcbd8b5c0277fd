// The same three shapes as bench/sgemm_shapes.c, each split in two halves of its rows run at
// once on two threads, each call on one OpenBLAS thread: what lib/ops/blas_helper.ts does with
// its worker (bench/README.md, 2026-12-07). For the kernel gradient each half writes its own
// partial product. Not part of the harness (gcc, Debian's libopenblas0-pthread):
//   gcc -O2 bench/sgemm_split.c /usr/lib/x86_64-linux-gnu/libopenblas.so.0 -lpthread -o /tmp/s && /tmp/s
// Output: bench/results/local_sgemm_split.txt.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <pthread.h>
void cblas_sgemm(int,int,int,int,int,int,float,const float*,int,const float*,int,float,float*,int);
void openblas_set_num_threads(int);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
int M=128*784, N=80, K=189; float *q,*w,*z,*dk,*dk2,*dq; int which;
typedef struct {int lo,hi; float*dk;} Arg;
void* work(void*p){Arg*a=p; int m=a->hi-a->lo;
 if(which==0) cblas_sgemm(101,111,111,m,N,K,1,q+(long)a->lo*K,K,w,N,0,z+(long)a->lo*N,N);
 if(which==1) cblas_sgemm(101,112,111,N,K,m,1,z+(long)a->lo*N,N,q+(long)a->lo*K,K,0,a->dk,K);
 if(which==2) cblas_sgemm(101,111,112,m,K,N,1,z+(long)a->lo*N,N,w,N,0,dq+(long)a->lo*K,K);
 return 0;}
int main(){ q=aligned_alloc(64,4L*M*K);w=aligned_alloc(64,4L*K*N);z=aligned_alloc(64,4L*M*N);dk=aligned_alloc(64,4L*K*N);dk2=aligned_alloc(64,4L*K*N);dq=aligned_alloc(64,4L*M*K);
 for(long i=0;i<(long)M*K;i++){q[i]=(i%7)*0.1f;dq[i]=0;} for(int i=0;i<K*N;i++)w[i]=(i%5)*0.1f; for(long i=0;i<(long)M*N;i++)z[i]=(i%3)*.1f;
 openblas_set_num_threads(1);
 for(int rep=0;rep<4;rep++) for(which=0;which<3;which++){
   Arg a={0,M/2,dk}, b={M/2,M,dk2}; pthread_t t;
   double t0=now(); for(int r=0;r<5;r++){pthread_create(&t,0,work,&b); work(&a); pthread_join(t,0);} double ms=(now()-t0)/5;
   printf("split which %d: %.1f ms %.0f GF/s\n",which,ms,2.0*M*N*K/ms/1e6);}
}
