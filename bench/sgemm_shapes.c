// OpenBLAS's own threads on the ConvLSTM-20 3x3 op's three sgemm shapes (batch 128, 28x28: M =
// 100,352 rows, K = 189, N = 80): forward z = q W, the kernel gradient dz^T q and dq = dz W^T,
// at 1 and 2 threads (bench/README.md, 2026-12-07). Not part of the harness: a C check of the
// library itself (gcc and Debian's libopenblas0-pthread):
//   gcc -O2 bench/sgemm_shapes.c /usr/lib/x86_64-linux-gnu/libopenblas.so.0 -o /tmp/s && /tmp/s
// Output: bench/results/local_sgemm_shapes.txt.
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
void cblas_sgemm(int,int,int,int,int,int,float,const float*,int,const float*,int,float,float*,int);
void openblas_set_num_threads(int);
char* openblas_get_corename(void);
static double now(){struct timespec t;clock_gettime(CLOCK_MONOTONIC,&t);return t.tv_sec*1e3+t.tv_nsec/1e6;}
int main(int argc,char**argv){
  int M=128*784, N=80, K=189;
  float*q=aligned_alloc(64,4L*M*K),*w=aligned_alloc(64,4L*K*N),*z=aligned_alloc(64,4L*M*N),*dk=aligned_alloc(64,4L*K*N),*dq=aligned_alloc(64,4L*M*K);
  for(long i=0;i<(long)M*K;i++)q[i]=(i%7)*0.1f; for(int i=0;i<K*N;i++)w[i]=(i%5)*0.1f; for(long i=0;i<(long)M*N;i++)z[i]=(i%3)*.1f;
  printf("core %s\n",openblas_get_corename());
  for(int th=1;th<=2;th++){ openblas_set_num_threads(th);
    for(int rep=0;rep<3;rep++){
    double t0=now(); for(int r=0;r<5;r++) cblas_sgemm(101,111,111,M,N,K,1,q,K,w,N,0,z,N);
    double t1=now(); for(int r=0;r<5;r++) cblas_sgemm(101,112,111,N,K,M,1,z,N,q,K,0,dk,K);
    double t2=now(); for(int r=0;r<5;r++) cblas_sgemm(101,111,112,M,K,N,1,z,N,w,N,0,dq,K);
    double t3=now(); double f=2.0*M*N*K/1e9;
    printf("th %d fwd %.1f ms %.0f GF/s | dW %.1f ms %.0f | dq %.1f ms %.0f\n",th,(t1-t0)/5,f/((t1-t0)/5e3),(t2-t1)/5,f/((t2-t1)/5e3),(t3-t2)/5,f/((t3-t2)/5e3));}
  }
}
